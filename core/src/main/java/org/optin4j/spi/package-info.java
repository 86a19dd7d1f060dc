/**
 * Extension points: the consent store, the mailer, mail templates and listeners. These interfaces may evolve between
 * minor versions (stability tier "spi"); the model types they use are in {@code org.optin4j}.
 *
 * <p>A store's unit of work ({@link org.optin4j.spi.ConsentStore.Transaction}) hands out small parts, one per kind of
 * data: {@link org.optin4j.spi.SubjectStore}, {@link org.optin4j.spi.HistoryStore},
 * {@link org.optin4j.spi.NoticeStore}, {@link org.optin4j.spi.RequestStore}, {@link org.optin4j.spi.OutboxStore},
 * {@link org.optin4j.spi.RetentionStore} and {@link org.optin4j.spi.RegisterStore}. {@code docs/writing-a-store.md}
 * says what each must guarantee.
 */
package org.optin4j.spi;
