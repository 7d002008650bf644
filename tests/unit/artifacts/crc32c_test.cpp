// CRC-32C against the RFC 3720 (iSCSI) test vectors, piecewise extension and
// combination, and the byte order backup_manifest records.
#include "verifier/artifacts/crc32c.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "verifier/artifacts/pg_checksum.hpp"

namespace dp::artifacts {
namespace {

std::uint32_t crc_of(const std::vector<unsigned char>& v) {
  return crc32c_extend(0, v.data(), v.size());
}

TEST(Crc32c, Rfc3720Vectors) {
  std::vector<unsigned char> zeros(32, 0x00);
  std::vector<unsigned char> ones(32, 0xff);
  std::vector<unsigned char> up(32);
  std::iota(up.begin(), up.end(), 0);
  std::vector<unsigned char> down(up.rbegin(), up.rend());
  EXPECT_EQ(crc_of(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc_of(ones), 0x62A8AB43u);
  EXPECT_EQ(crc_of(up), 0x46DD794Eu);
  EXPECT_EQ(crc_of(down), 0x113FDB5Cu);
  // An iSCSI read command PDU (RFC 3720 B.4).
  std::vector<unsigned char> pdu = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                    0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(crc_of(pdu), 0xD9963A56u);
  std::string check = "123456789";
  EXPECT_EQ(crc32c_extend(0, check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc32c_extend(0, nullptr, 0), 0u);
}

TEST(Crc32c, ExtendAndCombineMatchOnePass) {
  std::vector<unsigned char> data(1 << 20);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 131 + 7);
  std::uint32_t whole = crc_of(data);
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, data.size() / 2,
                          data.size() - 1, data.size()}) {
    std::uint32_t a = crc32c_extend(0, data.data(), cut);
    EXPECT_EQ(crc32c_extend(a, data.data() + cut, data.size() - cut), whole) << cut;
    std::uint32_t b = crc32c_extend(0, data.data() + cut, data.size() - cut);
    EXPECT_EQ(crc32c_combine(a, b, data.size() - cut), whole) << cut;
  }
}

TEST(Crc32c, BackupManifestByteOrderIsLittleEndian) {
  std::string check = "123456789";
  PgChecksum c(PgChecksumType::crc32c);
  c.update(check.data(), 4);
  c.update(check.data() + 4, 5);
  EXPECT_EQ(bytes_to_hex(c.finish()), "839206e3");
}

TEST(PgChecksum, ShaAndNames) {
  PgChecksum c(PgChecksumType::sha256);
  c.update("abc", 3);
  EXPECT_EQ(bytes_to_hex(c.finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(parse_pg_checksum_type("crc32c"), PgChecksumType::crc32c);
  EXPECT_EQ(parse_pg_checksum_type("SHA512"), PgChecksumType::sha512);
  EXPECT_EQ(parse_pg_checksum_type("md5"), std::nullopt);
  EXPECT_EQ(hex_to_bytes("0aFf"), (std::vector<std::uint8_t>{0x0a, 0xff}));
  EXPECT_EQ(hex_to_bytes("0g"), std::nullopt);
  EXPECT_EQ(hex_to_bytes("abc"), std::nullopt);
}

}  // namespace
}  // namespace dp::artifacts
