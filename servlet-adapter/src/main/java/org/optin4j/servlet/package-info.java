/**
 * The servlet adapter: {@link org.optin4j.servlet.OptInFilter}, a Jakarta Servlet 6.0 filter with hosted double
 * opt-in pages and a preference center, and {@link org.optin4j.servlet.OptInForms} for the app's own forms.
 * {@link org.optin4j.servlet.HumanCheck} and {@link org.optin4j.servlet.PageLayout} are the extension points; every
 * other class is internal.
 */
package org.optin4j.servlet;
