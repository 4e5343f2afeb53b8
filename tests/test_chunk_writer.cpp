// ChunkWriter: /requests chunks filtered (shuffle + deflate) on a writer thread and stored
// with direct chunk writes give the same dataset as HDF5's own filter pipeline, read back
// through that pipeline.

#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sim/io/chunk_writer.hpp"
#include "sim/io/h5_table.hpp"
#include "sim/io/zlib_deflater.hpp"
#include "test_support.hpp"

namespace collabsim {
namespace {

constexpr hsize_t kRows = 64;  // rows per chunk in these tests

struct Row {
  std::uint64_t id;
  double value;
  std::int8_t status;
};
constexpr std::size_t kRowBytes = 17;

H5::CompType row_type() {
  H5::CompType t(kRowBytes);
  t.insertMember("id", 0, H5::PredType::NATIVE_UINT64);
  t.insertMember("value", 8, H5::PredType::NATIVE_DOUBLE);
  t.insertMember("status", 16, H5::PredType::NATIVE_INT8);
  return t;
}

std::vector<unsigned char> encode(std::uint64_t first, std::uint64_t n) {
  std::vector<unsigned char> out(n * kRowBytes);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t id = first + i;
    const double v = 0.001 * static_cast<double>(id * id % 977);
    const auto st = static_cast<std::int8_t>(id % 3);
    std::memcpy(out.data() + i * kRowBytes, &id, 8);
    std::memcpy(out.data() + i * kRowBytes + 8, &v, 8);
    std::memcpy(out.data() + i * kRowBytes + 16, &st, 1);
  }
  return out;
}

H5::DataSet make_dataset(H5::H5File& f, const char* name) {
  hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = kRows;
  H5::DataSpace space(1, &dims, &maxdims);
  H5::DSetCreatPropList props;
  props.setChunk(1, &chunk);
  props.setShuffle();
  props.setDeflate(1);
  return f.createDataSet(name, row_type(), space, props);
}

TEST(ChunkWriter, ShuffleTransposesBytes) {
  const unsigned char in[] = {1, 2, 3, 4, 5, 6, 7};  // two 3-byte elements + one leftover byte
  unsigned char out[7] = {};
  ChunkWriter::shuffle(in, out, 7, 3);
  const unsigned char want[] = {1, 4, 2, 5, 3, 6, 7};
  EXPECT_EQ(std::memcmp(out, want, 7), 0);
}

// The blocked (8 elements × 8 bytes) shuffle against the definition, for element sizes and
// counts with and without remainders, and trailing bytes that fill no element.
TEST(ChunkWriter, ShuffleEqualsTheByteByByteDefinition) {
  for (std::size_t element : {2u, 3u, 8u, 9u, 17u, 64u, 301u})
    for (std::size_t n : {2u, 7u, 8u, 9u, 64u, 1001u})
      for (std::size_t tail : {0u, 1u}) {
        const std::size_t bytes = n * element + (tail ? element - 1 : 0);
        std::vector<unsigned char> in(bytes), out(bytes, 0xAB), want(bytes);
        for (std::size_t b = 0; b < bytes; ++b) in[b] = static_cast<unsigned char>((b * 131 + b / 7) % 251);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < element; ++j) want[j * n + i] = in[i * element + j];
        for (std::size_t b = n * element; b < bytes; ++b) want[b] = in[b];
        ChunkWriter::shuffle(in.data(), out.data(), bytes, element);
        ASSERT_EQ(out, want) << "element " << element << ", n " << n << ", tail " << tail;
      }
}

TEST(ChunkWriter, SameDatasetAsTheFilterPipeline) {
  testing::TempDir d;
  const auto path = d.path / "chunks.h5";
  const std::uint64_t total = 3 * kRows + 10;  // three full chunks and a partial one
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    H5::DataSet pipeline = make_dataset(f, "pipeline");
    H5::DataSet direct = make_dataset(f, "direct");
    ChunkWriter w(direct, kRowBytes, kRows, /*max_queued=*/1);
    for (std::uint64_t first = 0; first < total; first += kRows) {
      const std::uint64_t n = std::min<std::uint64_t>(kRows, total - first);
      const auto bytes = encode(first, n);
      hsize_t size = first + n, start = first, count = n;
      pipeline.extend(&size);
      H5::DataSpace fs = pipeline.getSpace();
      fs.selectHyperslab(H5S_SELECT_SET, &count, &start);
      H5::DataSpace ms(1, &count);
      pipeline.write(bytes.data(), row_type(), ms, fs);
      w.write(bytes);
    }
    EXPECT_THROW(w.write(encode(0, kRows)), std::logic_error);  // nothing may follow a partial chunk
    w.finish();
    EXPECT_EQ(w.rows(), total);
  }
  H5::H5File f(path.string(), H5F_ACC_RDONLY);
  H5::DataSet a = f.openDataSet("pipeline"), b = f.openDataSet("direct");
  hsize_t na = 0, nb = 0;
  a.getSpace().getSimpleExtentDims(&na);
  b.getSpace().getSimpleExtentDims(&nb);
  ASSERT_EQ(na, total);
  ASSERT_EQ(nb, total);
  std::vector<unsigned char> va(total * kRowBytes), vb(total * kRowBytes);
  a.read(va.data(), row_type());
  b.read(vb.data(), row_type());
  EXPECT_EQ(va, vb);
  EXPECT_EQ(va, encode(0, total));
  // Every chunk is stored filtered (mask 0: shuffle and deflate applied), and compressed.
  for (hsize_t c = 0; c * kRows < total; ++c) {
    const hsize_t off = c * kRows;
    hsize_t sa = 0, sb = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(a.getId(), &off, &sa), 0);
    ASSERT_GE(H5Dget_chunk_storage_size(b.getId(), &off, &sb), 0);
    EXPECT_LT(sb, kRows * kRowBytes) << "chunk " << c;
    std::vector<unsigned char> ca(sa), cb(sb);
    std::uint32_t ma = 1, mb = 1;
    ASSERT_GE(H5Dread_chunk(a.getId(), H5P_DEFAULT, &off, &ma, ca.data()), 0);
    ASSERT_GE(H5Dread_chunk(b.getId(), H5P_DEFAULT, &off, &mb, cb.data()), 0);
    EXPECT_EQ(ma, 0u);
    EXPECT_EQ(mb, 0u);
    ASSERT_GE(cb.size(), 2u);
    EXPECT_EQ(cb[0], 0x78) << "a zlib stream (RFC 1950: CMF of deflate with a 32 KiB window)";
  }
}

// ZlibDeflater on bytes that do not compress (a xorshift stream) and on a run of zeros: each
// stored as a chunk and read back through HDF5's deflate filter (zlib) equal; the random
// chunk takes stored blocks (no larger than the input + 1/16 + 1 KiB), the zeros shrink.
TEST(ChunkWriter, DeflaterStreamsDecodeThroughTheFilterForRandomBytesAndZeros) {
  testing::TempDir d;
  const auto path = d.path / "deflater.h5";
  const std::size_t n = 70000;  // more than one 64 KiB stored block
  std::vector<unsigned char> random(n), zeros(n, 0);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& b : random) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<unsigned char>(x >> 24);
  }
  ZlibDeflater deflater;
  ByteBuffer packed;
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    for (const auto* name : {"random", "zeros"}) {
      const auto& bytes = std::string(name) == "random" ? random : zeros;
      hsize_t dims = n, chunk = n;
      H5::DataSpace space(1, &dims);
      H5::DSetCreatPropList props;
      props.setChunk(1, &chunk);
      props.setDeflate(1);
      H5::DataSet ds = f.createDataSet(name, H5::PredType::NATIVE_UINT8, space, props);
      const std::size_t len = deflater.compress(bytes.data(), n, packed);
      ASSERT_GT(len, 2u);
      EXPECT_EQ(packed[0], 0x78) << name;
      if (bytes == random) {
        EXPECT_GT(len, n) << "random bytes do not compress";
        EXPECT_LE(len, n + n / 16 + 1024);
      } else {
        EXPECT_LT(len, n / 100) << "zeros compress";
      }
      const hsize_t off = 0;
      ASSERT_GE(H5Dwrite_chunk(ds.getId(), H5P_DEFAULT, 0, &off, len, packed.data()), 0);
    }
  }
  H5::H5File f(path.string(), H5F_ACC_RDONLY);
  for (const auto* name : {"random", "zeros"}) {
    std::vector<unsigned char> back(n, 0xAB);
    f.openDataSet(name).read(back.data(), H5::PredType::NATIVE_UINT8);
    EXPECT_EQ(back, std::string(name) == "random" ? random : zeros) << name;
  }
}

// write_table's compressed tables (/users, /spans) store their chunks the same way: two
// chunks of 16,384 rows (the last partial), int64, float64 and string columns read back
// equal through HDF5's filter pipeline, which the dataset still declares (shuffle, deflate).
TEST(ChunkWriter, WriteTableStoresTheDatasetTheFiltersDeclare) {
  testing::TempDir d;
  const auto path = d.path / "table.h5";
  const std::size_t n = 16384 + 1000;
  std::vector<std::int64_t> id(n);
  std::vector<double> x(n);
  std::vector<std::string> name(n);
  for (std::size_t i = 0; i < n; ++i) {
    id[i] = static_cast<std::int64_t>(i * 7919 % 100003) - 5;
    x[i] = 0.25 * static_cast<double>(i % 1013) - 1e-3 * static_cast<double>(i);
    name[i] = i % 3 ? "user" + std::to_string(i % 97) : "";
  }
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    H5::Group root = f.openGroup("/");
    write_table(root, "grp/t", {{"id", "1", id}, {"x", "s", x}, {"name", "", name}}, /*compress=*/true);
  }
  H5::H5File f(path.string(), H5F_ACC_RDONLY);
  const auto rid = read_numeric_field(f, "grp/t", "id");
  const auto rx = read_numeric_field(f, "grp/t", "x");
  const auto rname = read_string_field(f, "grp/t", "name");
  ASSERT_TRUE(rid && rx && rname);
  ASSERT_EQ(rid->size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ((*rid)[i], static_cast<double>(id[i])) << i;
    ASSERT_EQ((*rx)[i], x[i]) << i;
    ASSERT_EQ((*rname)[i], name[i]) << i;
  }
  EXPECT_EQ(table_units(f, "grp/t"), (std::vector<std::string>{"1", "s", ""}));
  const H5::DataSet ds = f.openDataSet("grp/t");
  const H5::DSetCreatPropList props = ds.getCreatePlist();
  ASSERT_EQ(props.getNfilters(), 2);
  unsigned flags = 0, info = 0;
  std::size_t nelem = 4;
  unsigned values[4] = {};
  char fname[64] = {};
  EXPECT_EQ(props.getFilter(0, flags, nelem, values, sizeof fname, fname, info), H5Z_FILTER_SHUFFLE);
  nelem = 4;
  EXPECT_EQ(props.getFilter(1, flags, nelem, values, sizeof fname, fname, info), H5Z_FILTER_DEFLATE);
  hsize_t chunk = 0;
  ASSERT_EQ(props.getChunk(1, &chunk), 1);
  EXPECT_EQ(chunk, 16384u);
  for (hsize_t off : {hsize_t{0}, hsize_t{16384}}) {
    hsize_t stored = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(ds.getId(), &off, &stored), 0);
    EXPECT_GT(stored, 0u);
    EXPECT_LT(stored, 16384u * ds.getDataType().getSize()) << "chunk at " << off << " is compressed";
  }
}

}  // namespace
}  // namespace collabsim
