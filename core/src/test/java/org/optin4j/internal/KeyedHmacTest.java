package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class KeyedHmacTest {
  private static final SecretKeySpec KEY =
      new SecretKeySpec(
          "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII), "HmacSHA256");

  private static byte[] plainHmac(byte[] prefix, byte[] data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(KEY);
    mac.update(prefix);
    return mac.doFinal(data);
  }

  @Test
  void digestWhenCalledRepeatedlyThenSameAsAFreshMacEachTime() throws Exception {
    KeyedHmac hmac = KeyedHmac.of(KEY);
    byte[] label = "label\0".getBytes(StandardCharsets.US_ASCII);
    for (String data : List.of("a", "mail-1", "a", "")) {
      byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(plainHmac(label, bytes), hmac.digest(label, bytes), data);
      assertArrayEquals(plainHmac(new byte[0], bytes), hmac.digest(new byte[0], bytes), data);
    }
  }

  @Test
  void digestWhenUsedByManyThreadsAtOnceThenEachGetsItsOwnRightDigest() throws Exception {
    KeyedHmac hmac = KeyedHmac.of(KEY);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 500; i++) {
                    byte[] data = ("m" + thread + "-" + i).getBytes(StandardCharsets.UTF_8);
                    assertArrayEquals(plainHmac(new byte[0], data), hmac.digest(new byte[0], data));
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
