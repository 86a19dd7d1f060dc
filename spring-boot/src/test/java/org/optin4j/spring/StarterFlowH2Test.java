package org.optin4j.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** The flow on H2 behind Spring Boot's default security, which has no line about optin4j: the filter runs first. */
@SpringBootTest(
    classes = StarterApps.DefaultSecurity.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.datasource.url=jdbc:h2:mem:starterflow;DB_CLOSE_DELAY=-1")
class StarterFlowH2Test extends AbstractStarterFlowTest {}
