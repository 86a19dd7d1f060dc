// The newsletter signup of /api-signup, through optin4j's JSON API (docs/json-api.md): plain fetch, no framework.
// The page is on the API's own origin, which is always on its allow-list; a front end on another origin is listed
// with OptInFilter.Builder.apiAllowedOrigins. Every text from the server is set as textContent, never as HTML.
"use strict";
(() => {
  const api = "/optin/api";
  const form = document.getElementById("api-signup");
  const purposes = document.getElementById("api-purposes");
  const noticeText = document.getElementById("api-notice");
  const result = document.getElementById("api-result");
  let notice = null;

  function say(text) {
    result.textContent = text;
  }

  // The notice for every purpose, in the browser's language if the catalog has it. Its hash goes back with the
  // signup: the record then proves which text was shown (GDPR Art. 7(1)).
  async function loadNotice() {
    const r = await fetch(api + "/notice", { headers: { Accept: "application/json" } });
    if (!r.ok) {
      throw new Error("notice: HTTP " + r.status);
    }
    notice = await r.json();
    purposes.querySelectorAll("div").forEach((d) => d.remove());
    for (const p of notice.purposes) {
      const row = document.createElement("div");
      row.className = "choice";
      const box = document.createElement("input");
      box.type = "checkbox"; // unticked: silence is no consent (Recital 32)
      box.id = "api-purpose-" + p.id;
      box.value = p.id;
      box.setAttribute("aria-describedby", "api-notice");
      const label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = p.title;
      row.append(box, " ", label);
      purposes.append(row);
    }
    noticeText.textContent = notice.text;
    noticeText.lang = notice.language;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...purposes.querySelectorAll("input:checked")].map((b) => b.value);
    if (chosen.length === 0) {
      say("Tick at least one box.");
      return;
    }
    const r = await fetch(api + "/subscribe", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        email: form.elements.email.value,
        purposes: chosen,
        notice: notice.hash,
        language: notice.language,
      }),
    });
    const body = await r.json();
    if (r.status === 202) {
      say(body.message); // the same answer whatever the address
      form.reset();
    } else if (r.status === 409) {
      await loadNotice();
      say("The text above has changed. Please read it again and send once more.");
    } else if (r.status === 429) {
      say("Too many attempts. Please wait a little and try again.");
    } else {
      // A problem (RFC 9457): its title, and the fields to correct.
      say(body.title + (body.fields ? " (" + body.fields.join(", ") + ")" : "") + ".");
    }
  });

  loadNotice().catch(() => say("The signup could not be loaded. The hosted page works without a script."));
})();
