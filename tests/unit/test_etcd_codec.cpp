// The base64 the etcd gateway wants for keys and values: RFC 4648 vectors, binary bytes, and
// text that is not base64 refused.
#include <gtest/gtest.h>

#include "netaccel/core/etcd.h"

using namespace netaccel;

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode(plain), coded);
    auto back = base64_decode(coded);
    ASSERT_TRUE(back) << coded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, EveryByteRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) EXPECT_EQ(*base64_decode(base64_encode(all.substr(0, n))), all.substr(0, n));
}

TEST(Base64, NotBase64IsRefused) {
  for (const char* bad : {"Zm9", "Zm9v!A==", "Z=9v", "Zg==Zg=="}) EXPECT_FALSE(base64_decode(bad)) << bad;
}
