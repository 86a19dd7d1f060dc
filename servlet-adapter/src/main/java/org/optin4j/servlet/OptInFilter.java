package org.optin4j.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.optin4j.ConfigurationException;
import org.optin4j.OptIn;

/**
 * A Jakarta Servlet 6.0 filter that runs double opt-in over HTTP: hosted pages under a prefix (default
 * {@code /optin}) and a drop-in for the app's own forms. The HTTP contract (paths, fields, statuses) is documented in
 * the module README, section "Add it to your app".
 *
 * <p>Two ways to register it:
 *
 * <ul>
 *   <li>programmatically: {@code servletContext.addFilter("optin", OptInFilter.builder(optIn).build())
 *       .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*")}; the app owns the {@link OptIn}
 *       (starts and closes it);
 *   <li>in {@code web.xml} with the no-arg constructor and one init-param {@code config}: the location
 *       ({@code classpath:} or {@code file:}) of a properties file ({@link OptInConfig}: its keys, a JDBC store
 *       through a JNDI DataSource or a URL) from which the filter builds, starts and closes its own {@link OptIn}.
 *       Every key is checked at start-up; an unknown or invalid one fails the start naming it.
 * </ul>
 *
 * <p>Per request the filter runs once, on {@link DispatcherType#REQUEST} dispatches only (FORWARD, INCLUDE, ERROR and
 * ASYNC dispatches pass through). Requests outside its prefix and its configured drop-in paths pass through untouched
 * and unbuffered. It fails closed: an internal error answers an error page (500), never a silent pass-through.
 *
 * <p>It reads the form bodies of the requests it handles as UTF-8 unless the request declares a charset (see the module
 * README, "Non-ASCII input"), before it reads any parameter, so where it stands in the chain does not matter.
 *
 * <p>It sets no cookies and keeps no session: form tokens (CSRF) are HMAC-signed values bound to the form or to the
 * signed link of the page, checked together with the {@code Origin} and {@code Sec-Fetch-Site} headers.
 *
 * <p>Thread-safe once initialised. Each instance has its own configuration; nothing is static.
 */
public final class OptInFilter implements Filter {
  private static final System.Logger LOG = System.getLogger(OptInFilter.class.getName());
  private static final String SEEN = OptInFilter.class.getName() + ".SEEN";

  /** The init-param naming the properties file, for {@code web.xml} registration. */
  public static final String CONFIG_INIT_PARAM = "config";

  private Settings settings;
  private OptIn optIn;
  private boolean ownsOptIn;

  /** The hosted pages under the prefix, one route per endpoint. */
  private Routes routes;

  private Pages pages;

  /** Sends the signup answers no sooner than their floor; made in init, stopped in destroy. */
  private AnswerFloor answerFloor;

  private DropIn dropIn;

  /** The JSON API, or null when it is off. */
  private JsonApi jsonApi;

  private BounceWebhooks bounceWebhooks;

  private OptInForms forms;
  private ServletContext context;

  /**
   * Creates a filter configured in {@code web.xml}: {@link #init(FilterConfig)} reads the init-param
   * {@value #CONFIG_INIT_PARAM}.
   */
  public OptInFilter() {}

  private OptInFilter(Settings settings, OptIn optIn) {
    this.settings = settings;
    this.optIn = optIn;
  }

  /**
   * Starts a builder for programmatic registration.
   *
   * @param optIn the service; the app starts and closes it
   * @return a builder with the documented defaults
   */
  public static Builder builder(OptIn optIn) {
    return new Builder(Objects.requireNonNull(optIn, "optIn"));
  }

  /**
   * Initialises the filter: checks the configuration against the servlet context (the base URL's path must be the
   * context path plus the prefix) and publishes an {@link OptInForms} as a servlet context attribute.
   *
   * @param config the filter configuration
   * @throws ServletException naming every unknown or invalid setting
   */
  @Override
  public void init(FilterConfig config) throws ServletException {
    List<String> names = Collections.list(config.getInitParameterNames());
    try {
      if (settings == null) {
        List<String> unknown = new ArrayList<>();
        for (String n : names) {
          if (!CONFIG_INIT_PARAM.equals(n)) {
            unknown.add(
                "init-param " + n + ": unknown (the only init-param is " + CONFIG_INIT_PARAM + ")");
          }
        }
        if (!unknown.isEmpty()) {
          throw new ConfigurationException(unknown);
        }
        String location = config.getInitParameter(CONFIG_INIT_PARAM);
        if (location == null || location.isBlank()) {
          throw new ConfigurationException(
              "init-param "
                  + CONFIG_INIT_PARAM
                  + ": required (classpath:/optin4j.properties or file:/etc/app/optin4j.properties)");
        }
        OptInConfig.Loaded loaded =
            OptInConfig.fromProperties(
                    location.strip(), config.getServletContext().getClassLoader())
                .load();
        this.settings = loaded.settings();
        this.optIn = loaded.optIn();
        this.ownsOptIn = true;
      } else if (!names.isEmpty()) {
        throw new ConfigurationException(
            "init-param "
                + names.get(0)
                + ": unknown; a filter made with OptInFilter.builder() takes its settings from the builder");
      }
      this.context = config.getServletContext();
      String expected = context.getContextPath() + settings.prefix();
      if (!settings.basePath().equals(expected)) {
        throw new ConfigurationException(
            "baseUrl path "
                + settings.basePath()
                + " must be the context path plus the prefix, "
                + expected);
      }
      Pages pages = new Pages(settings, optIn);
      FormTokens tokens =
          new FormTokens(settings.formKey(), settings.clock(), settings.formTokenTtl());
      Guard guard = new Guard(settings, tokens);
      this.answerFloor = new AnswerFloor();
      PostGate gate = new PostGate(pages, guard);
      ShownNotices notices = new ShownNotices(optIn);
      PreferencePages preferences = new PreferencePages(optIn, pages, gate, guard, notices);
      SignupPages signup =
          new SignupPages(settings, optIn, pages, gate, guard, notices, answerFloor);
      ConfirmPages confirm = new ConfirmPages(optIn, pages, gate, guard);
      this.routes =
          Routes.hosted(
              pages,
              gate,
              signup,
              confirm,
              new UnsubscribePages(optIn, pages, guard),
              preferences,
              new RightsRequests(optIn, pages, guard, preferences),
              new StepUpPages(optIn, pages, gate, guard),
              new PublicFiles(optIn),
              new InformationPages(pages, optIn));
      this.pages = pages;
      if (settings.api()) {
        this.jsonApi =
            new JsonApi(
                settings,
                optIn,
                pages,
                guard,
                answerFloor,
                new ApiOrigins(settings.apiAllowedOrigins()),
                signup,
                confirm,
                preferences,
                notices);
      }
      this.bounceWebhooks =
          new BounceWebhooks(
              optIn,
              settings.snsBounces(),
              settings.relaySecrets().isEmpty()
                  ? null
                  : org.optin4j.feed.WebhookVerifier.of(
                      settings.clock(),
                      settings.relaySecrets().toArray(org.optin4j.feed.WebhookSecret[]::new)));
      this.forms = new OptInForms(settings, optIn, pages, tokens);
      this.dropIn = new DropIn(settings, optIn, forms, guard, pages, gate, notices);
      context.setAttribute(OptInForms.ATTRIBUTE, forms);
      if (ownsOptIn) {
        optIn.start();
      }
    } catch (ConfigurationException e) {
      if (answerFloor != null) {
        answerFloor.close();
      }
      if (ownsOptIn && optIn != null) {
        optIn.close();
      }
      throw new ServletException("optin4j: invalid configuration: " + e.getMessage(), e);
    }
  }

  /** The drop-in handler, for tests in this package. */
  DropIn dropIn() {
    return dropIn;
  }

  /** Returns the drop-in renderer, for apps that registered the filter programmatically. */
  public OptInForms forms() {
    if (forms == null) {
      throw new IllegalStateException("the filter is not initialised yet");
    }
    return forms;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (routes == null) {
      throw new ServletException("optin4j: filter used before init");
    }
    if (!(req instanceof HttpServletRequest request)
        || !(res instanceof HttpServletResponse response)
        || request.getDispatcherType() != DispatcherType.REQUEST
        || request.getAttribute(SEEN) != null) {
      chain.doFilter(req, res);
      return;
    }
    String path = path(request);
    String prefix = settings.prefix();
    if (path.equals(prefix) || path.startsWith(prefix + "/")) {
      request.setAttribute(SEEN, Boolean.TRUE);
      String sub = path.substring(prefix.length());
      if (jsonApi != null && (sub.equals(JsonApi.ROOT) || sub.startsWith(JsonApi.ROOT + "/"))) {
        // Before any form parsing: the API reads JSON bodies itself and answers problem+json.
        try {
          jsonApi.handle(request, response, sub.substring(JsonApi.ROOT.length()));
        } catch (RuntimeException e) {
          failClosedJson(request, response, e);
        }
        return;
      }
      if (bounceWebhooks != null
          && bounceWebhooks.on()
          && sub.startsWith(BounceWebhooks.ROOT + "/")) {
        // Before any form parsing: the body is the signed bytes, read once by the endpoint.
        try {
          if (bounceWebhooks.handle(
              request, response, sub.substring(BounceWebhooks.ROOT.length()))) {
            return;
          }
        } catch (RuntimeException e) {
          failClosed(request, response, e);
          return;
        }
      }
      if (!parametersReadable(request)) {
        response.sendError(HttpServletResponse.SC_BAD_REQUEST);
        return;
      }
      try {
        routes.handle(request, response, sub);
      } catch (RuntimeException e) {
        failClosed(request, response, e);
      }
      return;
    }
    if (settings.formPaths().contains(path) && "POST".equals(request.getMethod())) {
      request.setAttribute(SEEN, Boolean.TRUE);
      if (!parametersReadable(request)) {
        response.sendError(HttpServletResponse.SC_BAD_REQUEST);
        return;
      }
      boolean proceed;
      try {
        proceed = dropIn.handleFormPost(request, response);
      } catch (RuntimeException e) {
        failClosed(request, response, e);
        return;
      }
      if (proceed) {
        chain.doFilter(request, response);
      }
      return;
    }
    if (settings.markerPaths().contains(path)
        && ("GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod()))) {
      request.setAttribute(SEEN, Boolean.TRUE);
      dropIn.serveWithMarkers(request, response, chain);
      return;
    }
    chain.doFilter(req, res);
  }

  /**
   * Decodes the form body of a request this filter handles as UTF-8 when the request declares no character set, before
   * anything reads a parameter. Browsers send a form in the encoding of its page and, for
   * {@code application/x-www-form-urlencoded}, without a {@code charset} parameter; the hosted pages are UTF-8 and
   * their forms say {@code accept-charset="UTF-8"}, and so are practically all pages today. Without this, a container
   * that defaults to ISO-8859-1 (Tomcat with no {@code request-character-encoding}) turns {@code bücher} into
   * {@code bÃ¼cher}, and once parameters are parsed it never decodes them again, so the app's own fields behind a
   * drop-in form would be garbled too. A declared charset (in the {@code Content-Type}, or set by an encoding filter
   * or the web app's {@code request-character-encoding} before this one) is honoured.
   */
  private static void decodeAsUtf8UnlessDeclared(HttpServletRequest request) {
    if (request.getCharacterEncoding() == null) {
      try {
        request.setCharacterEncoding(StandardCharsets.UTF_8.name());
      } catch (UnsupportedEncodingException e) {
        throw new IllegalStateException("UTF-8 is always supported", e);
      }
    }
  }

  /**
   * Parses the query string and form body once, up front, after {@link #decodeAsUtf8UnlessDeclared}. A body the
   * container cannot decode (Jetty throws a {@code BadMessageException} for invalid UTF-8 in a urlencoded body, found
   * by {@code HttpRequestFuzzTest}) is the client's fault: it gets the container's 400, not an internal-error page and
   * an ERROR log line per request.
   */
  private static boolean parametersReadable(HttpServletRequest request) {
    decodeAsUtf8UnlessDeclared(request);
    try {
      request.getParameterMap();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void failClosedJson(
      HttpServletRequest request, HttpServletResponse response, RuntimeException e)
      throws IOException {
    LOG.log(
        System.Logger.Level.ERROR,
        "optin4j: internal error on " + request.getMethod() + " " + path(request),
        e);
    if (response.isCommitted()) {
      throw e;
    }
    response.reset();
    jsonApi.internalError(request, response);
  }

  private void failClosed(
      HttpServletRequest request, HttpServletResponse response, RuntimeException e)
      throws IOException {
    // The path only: the query string may carry a token (security rule 13).
    LOG.log(
        System.Logger.Level.ERROR,
        "optin4j: internal error on " + request.getMethod() + " " + path(request),
        e);
    if (response.isCommitted()) {
      throw e;
    }
    pages.internalError(request, response);
  }

  /** The decoded, normalised path inside the web app, without path parameters or query. */
  static String path(HttpServletRequest request) {
    String servletPath = request.getServletPath();
    String info = request.getPathInfo();
    String p = (servletPath == null ? "" : servletPath) + (info == null ? "" : info);
    return p.isEmpty() ? "/" : p;
  }

  /** Stops the {@link OptIn} if this filter built it from a properties file. */
  @Override
  public void destroy() {
    if (answerFloor != null) {
      answerFloor.close();
    }
    if (context != null && context.getAttribute(OptInForms.ATTRIBUTE) == forms) {
      context.removeAttribute(OptInForms.ATTRIBUTE);
    }
    if (ownsOptIn && optIn != null) {
      optIn.close();
    }
  }

  @Override
  public String toString() {
    return settings == null
        ? "OptInFilter[unconfigured]"
        : "OptInFilter[prefix=" + settings.prefix() + "]";
  }

  /**
   * Builds an {@link OptInFilter}. {@link #build()} checks every setting and names all invalid ones at once.
   * Not thread-safe.
   */
  public static final class Builder {
    private final OptIn optIn;
    private String prefix = "/optin";
    private byte[] formKey;
    private Duration formTokenTtl = Duration.ofHours(24);
    private int ipLimit = 30;
    private Duration ipWindow = Duration.ofMinutes(10);
    private int addressLimit = 0;
    private Duration addressWindow = Duration.ofHours(1);
    private int rateLimitSlots = 65_536;
    private final Set<String> trustedProxies = new LinkedHashSet<>();
    private final Set<String> allowedOrigins = new LinkedHashSet<>();
    private final Set<String> stylesheets = new LinkedHashSet<>();
    private final Set<String> returnUrls = new LinkedHashSet<>();
    private final Set<String> formPaths = new LinkedHashSet<>();
    private boolean api;
    private final Set<String> apiAllowedOrigins = new LinkedHashSet<>();
    private final List<String> apiKeys = new ArrayList<>();
    private org.optin4j.lists.SnsSettings snsBounces;
    private final List<org.optin4j.feed.WebhookSecret> relaySecrets = new ArrayList<>();
    private final Set<String> markerPaths = new LinkedHashSet<>();
    private String emailField = "email";
    private PageLayout layout;
    private String messagesBaseName;
    private HumanCheck humanCheck;
    private Clock clock = Clock.systemUTC();
    private final List<String> problems = new ArrayList<>();

    private Builder(OptIn optIn) {
      this.optIn = optIn;
    }

    /**
     * Sets the path prefix of the hosted pages inside the web app (default {@code /optin}). The {@link OptIn}'s base
     * URL must end with the context path plus this prefix.
     *
     * @param prefix for example {@code /optin} or {@code /newsletter/consent}
     * @return this builder
     */
    public Builder prefix(String prefix) {
      this.prefix = prefix;
      return this;
    }

    /**
     * Sets the key that signs form tokens (CSRF); at least 32 random bytes. Default: a fresh random key per start,
     * which is fine for one node; several nodes behind a load balancer need the same key.
     *
     * @param key the key
     * @return this builder
     */
    public Builder formKey(byte[] key) {
      this.formKey = key == null ? null : key.clone();
      return this;
    }

    /**
     * Sets how long a rendered form stays valid (default 24 hours, 5 minutes to 7 days).
     *
     * @param ttl the lifetime
     * @return this builder
     */
    public Builder formTokenTtl(Duration ttl) {
      this.formTokenTtl = ttl;
      return this;
    }

    /**
     * Sets the limit of state-changing POSTs per client IP (default 30 per 10 minutes); over it the answer is 429
     * with {@code Retry-After}. IPv6 clients count per /64, and all the /64s of one /48 (what a provider often
     * delegates to one customer) together at most 4 times {@code max}, so that a /48 is not 65,536 allowances. The
     * window slides: a POST is allowed while this window's count plus the last window's count, weighted by the share
     * of the last window still inside the sliding one, stays within {@code max}, so a client cannot spend its
     * allowance twice across a window boundary.
     *
     * @param max at most this many, 1 to 100000
     * @param window per this window, 1 second to 1 day
     * @return this builder
     */
    public Builder rateLimitPerIp(int max, Duration window) {
      this.ipLimit = max;
      this.ipWindow = window;
      return this;
    }

    /**
     * Sets an extra, per-node limit of signups per normalised address (default: off). Over it the request is dropped
     * and the answer is the usual "check your inbox" page, so the limit reveals nothing about the address.
     *
     * <p>Off by default because the core already caps confirmation mails per address exactly, in the store, across
     * nodes ({@code OptIn.Builder.confirmationMailCap}); this limiter counts in fixed memory, exactly while the
     * addresses seen in two windows fit in {@link #rateLimitSlots}, and beyond that a real signup can (rarely) be
     * dropped silently. Use it only to shed load in front of a slow store.
     *
     * @param max at most this many, 1 to 1000, or 0 for off
     * @param window per this window, 1 second to 1 day
     * @return this builder
     */
    public Builder rateLimitPerAddress(int max, Duration window) {
      this.addressLimit = max;
      this.addressWindow = window;
      return this;
    }

    /**
     * Sets how many keys (client IPs, IPv6 per /64; or addresses) each rate limiter counts exactly (default 65536, 1024
     * to 16777216). Memory is fixed when the filter is built: 12 bytes per slot per limiter (an 8-byte entry plus half
     * a long of overflow filter), plus a quarter of that for the per-IP limit's IPv6 /48 tier (a table of
     * {@code slots / 4}: it holds only IPv6 sites, each grouping up to 65,536 /64s); the per-address limiter takes none
     * while it is off. While the keys seen in the last
     * two windows stay under about 70 % of the slots, every key is counted exactly and never limited by another's
     * traffic (each key may sit in either of two buckets of 8, whose pairs start to overflow from about 70 % full, and
     * then the least-counted, stalest keys are forgotten first); keys are hashed with a secret, so nobody can aim at
     * another's entry. When more keys than slots are active, keys below their limit may be forgotten and counted afresh
     * (admitted, not refused), and keys at their limit stay refused through a Bloom filter whose false positives refuse
     * a few bystanders: none of 10,000 in a simulation with 100,000 keys at their limit and the default 65536 slots,
     * and never more than about 0.4 %, because the filter stops taking keys when a quarter full (further keys at their
     * limit pushed out of the table are then forgotten).
     *
     * @param slots the number of keys counted exactly per limiter
     * @return this builder
     */
    public Builder rateLimitSlots(int slots) {
      this.rateLimitSlots = slots;
      return this;
    }

    /**
     * Trusts these proxies (IP addresses or CIDR ranges) to report the client in {@code X-Forwarded-For}. Default:
     * none, the client IP is {@code request.getRemoteAddr()}.
     *
     * @param proxies for example {@code 10.0.0.0/8}
     * @return this builder
     */
    public Builder trustedProxies(String... proxies) {
      trustedProxies.addAll(List.of(proxies));
      return this;
    }

    /**
     * Accepts form posts from these origins besides the base URL's own (for example
     * {@code https://www.shop.example}).
     *
     * @param origins scheme, host and port, no path
     * @return this builder
     */
    public Builder allowedOrigins(String... origins) {
      allowedOrigins.addAll(List.of(origins));
      return this;
    }

    /**
     * Adds a stylesheet to every hosted page, after the built-in one ({@code {prefix}/optin.css}). A path on this
     * site ({@code /css/brand.css}) or an https URL (whose origin is then allowed by the Content-Security-Policy).
     *
     * @param url the stylesheet
     * @return this builder
     */
    public Builder stylesheet(String url) {
      stylesheets.add(url);
      return this;
    }

    /**
     * Allows these exact URLs as the {@code next} parameter of the subscribe form: the result page then shows a
     * "continue" link to it. Any other value is ignored. The filter itself never redirects.
     *
     * @param urls absolute https URLs or paths on this site
     * @return this builder
     */
    public Builder returnUrls(String... urls) {
      returnUrls.addAll(List.of(urls));
      return this;
    }

    /**
     * Sets the paths (inside the web app) of the app's own signup forms whose POST the filter reads to start a double
     * opt-in before passing the request on (the drop-in); see {@link SignupOutcome}.
     *
     * @param paths exact paths, for example {@code /contact}
     * @return this builder
     */
    public Builder formPaths(String... paths) {
      formPaths.addAll(List.of(paths));
      return this;
    }

    /**
     * Sets the paths of static HTML pages in which the filter replaces
     * {@code <optin-notice purposes="a b"></optin-notice>} with the notice block. Only {@code text/html} responses
     * on these paths are buffered.
     *
     * @param paths exact paths, for example {@code /index.html}
     * @return this builder
     */
    public Builder markerPaths(String... paths) {
      markerPaths.addAll(List.of(paths));
      return this;
    }

    /**
     * Sets the name of the address field of the app's own forms (default {@code email}).
     *
     * @param name the field name
     * @return this builder
     */
    public Builder emailField(String name) {
      this.emailField = name;
      return this;
    }

    /**
     * Replaces the page layout (the HTML around every hosted page's content).
     *
     * @param layout the layout
     * @return this builder
     */
    public Builder layout(PageLayout layout) {
      this.layout = layout;
      return this;
    }

    /**
     * Overrides page texts: a resource bundle base name (for example {@code com.shop.optin-pages}) whose keys replace
     * the built-in ones (see {@code org/optin4j/servlet/pages_en.properties}): {@code <baseName>.properties} for every
     * language, {@code <baseName>_<language>.properties} for one. Missing keys fall back to the built-in texts. A text
     * may use the {@code {name}} placeholders of the text it replaces; an unknown key or placeholder is refused when
     * the filter starts. Mail texts are overridden the same way, with
     * {@code org.optin4j.mail.DefaultMailTemplates.overriddenBy(String)}.
     *
     * @param baseName the bundle base name
     * @return this builder
     */
    public Builder messages(String baseName) {
      this.messagesBaseName = baseName;
      return this;
    }

    /**
     * Answers Amazon SES bounce and complaint notifications through Amazon SNS at {@code POST
     * {prefix}/bounces/sns} (default off): the signature of each message is verified and only the given topics are
     * accepted ({@code docs/bounces.md}). Needs a bounce address ({@code OptIn.Builder#bounceAddress}).
     *
     * @param settings the accepted topics and how signing certificates are fetched, or {@code null} for off
     * @return this builder
     */
    public Builder snsBounces(org.optin4j.lists.SnsSettings settings) {
      this.snsBounces = settings;
      return this;
    }

    /**
     * Answers bounce and complaint reports in the generic JSON shape at {@code POST {prefix}/bounces/relay}
     * (default off), signed with one of these shared secrets as Standard Webhooks signs ({@code docs/bounces.md},
     * SECURITY.md: the holder of a secret can report any mail of this installation as bounced or complained about).
     *
     * @param secrets the secrets ({@code whsec_...}; during a rotation, new and old); none: off
     * @return this builder
     */
    public Builder relayedBounces(org.optin4j.feed.WebhookSecret... secrets) {
      this.relaySecrets.clear();
      this.relaySecrets.addAll(List.of(secrets));
      return this;
    }

    /**
     * Switches the JSON API under {@code {prefix}/api} on or off (default off): {@code docs/json-api.md}.
     *
     * @param on whether the filter answers {@code {prefix}/api/...}
     * @return this builder
     */
    public Builder api(boolean on) {
      this.api = on;
      return this;
    }

    /**
     * Allows browsers on these origins to call the JSON API (CORS), besides the base URL's own origin. A request
     * that carries any other {@code Origin} is refused (403) and changes nothing; only these origins get
     * {@code Access-Control-Allow-Origin}, never with credentials.
     *
     * @param origins scheme, host and port, no path, for example {@code https://app.shop.example}
     * @return this builder
     */
    public Builder apiAllowedOrigins(String... origins) {
      apiAllowedOrigins.addAll(List.of(origins));
      return this;
    }

    /**
     * Sets the API keys that may read the event feed, {@code GET {prefix}/api/events}, as
     * {@code Authorization: Bearer <key>} (default: none, so the feed endpoint refuses everyone). Several keys allow a
     * rotation. A key is a secret of at least 32 characters (letters, digits, {@code - _ . ~ + / =}); compared in
     * constant time.
     *
     * @param keys the keys
     * @return this builder
     */
    public Builder apiKeys(String... keys) {
      apiKeys.addAll(List.of(keys));
      return this;
    }

    /**
     * Sets a CAPTCHA or proof-of-work check for the subscribe forms (default: none).
     *
     * @param check the check
     * @return this builder
     */
    public Builder humanCheck(HumanCheck check) {
      this.humanCheck = check;
      return this;
    }

    /**
     * Sets the clock for form tokens and rate limits (default: system UTC).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Builds the filter.
     *
     * @return the filter
     * @throws ConfigurationException naming every invalid setting
     */
    public OptInFilter build() {
      return new OptInFilter(settings(), optIn);
    }

    /** Validates and returns the settings; package-private for the properties bridge. */
    Settings settings() {
      problems.clear();
      if (prefix == null || !prefix.matches("(/[A-Za-z0-9._~-]+)+")) {
        problems.add("prefix must be a path such as /optin (no trailing slash), was " + prefix);
      }
      byte[] key = formKey;
      if (key == null) {
        key = new byte[32];
        new SecureRandom().nextBytes(key);
      } else if (key.length < 32) {
        problems.add("formKey must have at least 256 bits, had " + key.length * 8);
      }
      range(formTokenTtl, "formTokenTtl", Duration.ofMinutes(5), Duration.ofDays(7));
      limit(ipLimit, 100_000, ipWindow, "rateLimitPerIp");
      if (addressLimit != 0) {
        limit(addressLimit, 1000, addressWindow, "rateLimitPerAddress");
      }
      if (rateLimitSlots < 1024 || rateLimitSlots > 16_777_216) {
        problems.add("rateLimitSlots must be 1024 to 16777216, was " + rateLimitSlots);
      }
      List<ClientAddress.Range> proxies = new ArrayList<>();
      for (String p : trustedProxies) {
        ClientAddress.Range r = ClientAddress.Range.parse(p);
        if (r == null) {
          problems.add("trustedProxies: not an IP address or CIDR range: " + p);
        } else {
          proxies.add(r);
        }
      }
      String baseUrl = optIn.baseUrl();
      URI base = URI.create(baseUrl);
      String baseOrigin = origin(base);
      Set<String> origins = new LinkedHashSet<>();
      origins.add(baseOrigin);
      for (String o : allowedOrigins) {
        URI u = uri(o);
        if (u == null
            || !o.equals(origin(u))
            || !("https".equals(u.getScheme()) || "http".equals(u.getScheme()))) {
          problems.add("allowedOrigins: not an origin (scheme://host[:port]): " + o);
        } else {
          origins.add(o);
        }
      }
      Set<String> styleOrigins = new LinkedHashSet<>();
      for (String s : stylesheets) {
        URI u = uri(s);
        if (u != null && s.startsWith("/") && !s.startsWith("//")) {
          continue;
        }
        if (u == null || !"https".equals(u.getScheme()) || u.getHost() == null) {
          problems.add("stylesheet must be a path on this site or an https URL, was " + s);
        } else {
          styleOrigins.add(origin(u));
        }
      }
      for (String r : returnUrls) {
        URI u = uri(r);
        boolean path = u != null && r.startsWith("/") && !r.startsWith("//");
        if (!path
            && (u == null || !"https".equals(u.getScheme()) || u.getHost() == null)
            && !(u != null && r.startsWith(baseOrigin + "/"))) {
          problems.add("returnUrls must be https URLs or paths on this site, was " + r);
        }
      }
      for (String p : formPaths) {
        checkPath("formPaths", p);
      }
      for (String p : markerPaths) {
        checkPath("markerPaths", p);
      }
      if (prefix != null) {
        for (String p : formPaths) {
          if (p.equals(prefix) || p.startsWith(prefix + "/")) {
            problems.add("formPaths: " + p + " is inside the prefix " + prefix);
          }
        }
      }
      if (emailField == null || !emailField.matches("[A-Za-z0-9._-]{1,64}")) {
        problems.add(
            "emailField must be a form field name ([A-Za-z0-9._-]{1,64}), was " + emailField);
      }
      if (messagesBaseName != null && !messagesBaseName.matches("[A-Za-z0-9_.-]{1,200}")) {
        problems.add("messages must be a resource bundle base name, was " + messagesBaseName);
      }
      if (clock == null) {
        problems.add("clock is required");
      }
      Set<String> apiOrigins = new LinkedHashSet<>();
      apiOrigins.add(baseOrigin);
      for (String o : apiAllowedOrigins) {
        URI u = uri(o);
        if (u == null
            || !o.equals(origin(u))
            || !("https".equals(u.getScheme()) || "http".equals(u.getScheme()))) {
          problems.add("apiAllowedOrigins: not an origin (scheme://host[:port]), was " + o);
        } else {
          apiOrigins.add(o);
        }
      }
      List<byte[]> keys = new ArrayList<>();
      for (String k : apiKeys) {
        if (k == null || !k.matches("[A-Za-z0-9._~+/=-]{32,512}")) {
          // Never the key itself in the message: it is a secret.
          problems.add("apiKeys: a key must be 32 to 512 characters of A-Z a-z 0-9 - . _ ~ + / =");
        } else {
          keys.add(k.getBytes(StandardCharsets.US_ASCII));
        }
      }
      if (!problems.isEmpty()) {
        throw new ConfigurationException(List.copyOf(problems));
      }
      return new Settings(
          prefix,
          baseUrl,
          base.getRawPath(),
          Set.copyOf(origins),
          key,
          formTokenTtl,
          ipLimit,
          ipWindow,
          addressLimit,
          addressWindow,
          rateLimitSlots,
          List.copyOf(proxies),
          List.copyOf(stylesheets),
          Set.copyOf(styleOrigins),
          Set.copyOf(returnUrls),
          Set.copyOf(formPaths),
          Set.copyOf(markerPaths),
          emailField,
          layout == null ? new DefaultLayout() : layout,
          messagesBaseName,
          humanCheck,
          clock,
          api,
          Set.copyOf(apiOrigins),
          List.copyOf(keys),
          snsBounces,
          List.copyOf(relaySecrets));
    }

    private void checkPath(String name, String p) {
      if (p == null
          || !p.startsWith("/")
          || p.contains("..")
          || p.contains("//")
          || p.contains("?")
          || p.contains(";")
          || p.contains("#")) {
        problems.add(name + ": must be an exact path such as /contact, was " + p);
      }
    }

    private void range(Duration d, String name, Duration min, Duration max) {
      if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        problems.add(name + " must be between " + min + " and " + max + ", was " + d);
      }
    }

    private void limit(int max, int ceiling, Duration window, String name) {
      if (max < 1 || max > ceiling) {
        problems.add(name + " max must be 1 to " + ceiling + ", was " + max);
      }
      range(window, name + " window", Duration.ofSeconds(1), Duration.ofDays(1));
    }

    private static URI uri(String s) {
      if (s == null) {
        return null;
      }
      try {
        return new URI(s);
      } catch (URISyntaxException e) {
        return null;
      }
    }

    static String origin(URI u) {
      if (u.getScheme() == null || u.getHost() == null) {
        return "";
      }
      String scheme = u.getScheme().toLowerCase(Locale.ROOT);
      int port = u.getPort();
      boolean defaultPort =
          port == -1
              || ("https".equals(scheme) && port == 443)
              || ("http".equals(scheme) && port == 80);
      return scheme
          + "://"
          + u.getHost().toLowerCase(Locale.ROOT)
          + (defaultPort ? "" : ":" + port);
    }
  }

  /** The validated settings. Immutable apart from the key arrays, which are never handed out. */
  record Settings(
      String prefix,
      String baseUrl,
      String basePath,
      Set<String> allowedOrigins,
      byte[] formKey,
      Duration formTokenTtl,
      int ipLimit,
      Duration ipWindow,
      int addressLimit,
      Duration addressWindow,
      int rateLimitSlots,
      List<ClientAddress.Range> trustedProxies,
      List<String> stylesheets,
      Set<String> styleOrigins,
      Set<String> returnUrls,
      Set<String> formPaths,
      Set<String> markerPaths,
      String emailField,
      PageLayout layout,
      String messagesBaseName,
      HumanCheck humanCheck,
      Clock clock,
      boolean api,
      Set<String> apiAllowedOrigins,
      List<byte[]> apiKeys,
      org.optin4j.lists.SnsSettings snsBounces,
      List<org.optin4j.feed.WebhookSecret> relaySecrets) {

    @Override
    public String toString() {
      return "Settings[prefix=" + prefix + ", baseUrl=" + baseUrl + "]";
    }
  }
}
