package org.optin4j.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** optin4j inside an app's {@code @Transactional} methods, on H2 with a pool of one connection. */
@SpringBootTest(
    classes = TransactionalCallerApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:transactionalcaller;DB_CLOSE_DELAY=-1",
      "spring.datasource.hikari.maximum-pool-size=1",
      "spring.datasource.hikari.connection-timeout=2000"
    })
class TransactionalCallerH2Test extends AbstractTransactionalCallerTest {}
