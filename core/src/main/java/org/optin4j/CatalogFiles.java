package org.optin4j;

import java.io.InputStream;

/** Reads purpose catalog files. */
final class CatalogFiles {
  private CatalogFiles() {}

  static PurposeCatalog fromProperties(InputStream in) {
    throw new UnsupportedOperationException("TEMPORARY: being implemented");
  }

  static PurposeCatalog fromJson(InputStream in) {
    throw new UnsupportedOperationException("TEMPORARY: being implemented");
  }
}
