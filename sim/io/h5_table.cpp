#include "sim/io/h5_table.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "sim/io/byte_buffer.hpp"
#include "sim/io/chunk_writer.hpp"
#include "sim/io/zlib_deflater.hpp"

namespace collabsim {

namespace {

void create_parents(H5::Group& loc, const std::string& path) {
  for (std::size_t p = path.find('/'); p != std::string::npos; p = path.find('/', p + 1)) {
    const std::string parent = path.substr(0, p);
    if (!parent.empty() && !loc.nameExists(parent)) loc.createGroup(parent);
  }
}

/// Index of member `field` of `t`, −1 when absent.
int member_index(const H5::CompType& t, const std::string& field) {
  for (int i = 0; i < t.getNmembers(); ++i)
    if (t.getMemberName(static_cast<unsigned>(i)) == field) return i;
  return -1;
}

constexpr hsize_t kChunkRows = 16384;  ///< rows per chunk of a compressed table
constexpr int kDeflateLevel = 1;

/// The `n` rows of `row_bytes` bytes in `rows` stored chunk by chunk with direct chunk
/// writes, each chunk shuffled and deflated as the dataset's filters (shuffle, deflate
/// level 1) would, with ISA-L's igzip (ZlibDeflater) instead of HDF5's zlib filter: the file
/// holds the same dataset (readers decode it through that pipeline; ChunkWriter does the
/// same for /requests) for ~6x fewer instructions (issue 26: zlib on the 10,000-user /users
/// table cost ~50M instructions, ~2.6k per request of the default scenario). A partial last
/// chunk is padded with zeros (the fill value). Throws std::runtime_error on a failure.
void write_deflated_chunks(H5::DataSet& ds, const unsigned char* rows, std::size_t row_bytes, hsize_t chunk_rows,
                           hsize_t n) {
  ZlibDeflater deflater;
  const std::size_t chunk_bytes = static_cast<std::size_t>(chunk_rows) * row_bytes;
  ByteBuffer padded, shuffled(chunk_bytes), packed;
  for (hsize_t first = 0; first < n; first += chunk_rows) {
    const std::size_t bytes = static_cast<std::size_t>(std::min(chunk_rows, n - first)) * row_bytes;
    const unsigned char* src = rows + first * row_bytes;
    if (bytes < chunk_bytes) {  // a partial last chunk (a table of one chunk has none)
      padded.resize(chunk_bytes);
      std::memcpy(padded.data(), src, bytes);
      std::memset(padded.data() + bytes, 0, chunk_bytes - bytes);
      src = padded.data();
    }
    ChunkWriter::shuffle(src, shuffled.data(), chunk_bytes, row_bytes);
    const std::size_t packed_bytes = deflater.compress(shuffled.data(), chunk_bytes, packed);
    if (H5Dwrite_chunk(ds.getId(), H5P_DEFAULT, 0, &first, packed_bytes, packed.data()) < 0)
      throw std::runtime_error("write_table: H5Dwrite_chunk failed at row " + std::to_string(first));
  }
}

}  // namespace

void write_table(H5::Group& loc, const std::string& path, const std::vector<TableColumn>& columns,
                 bool compress) {
  if (columns.empty()) throw std::invalid_argument("table '" + path + "' has no columns");
  const std::size_t n = columns[0].size();
  std::vector<std::size_t> width, offset;
  std::size_t row = 0;
  for (const auto& c : columns) {
    if (c.size() != n) throw std::invalid_argument("table '" + path + "': column '" + c.name + "' has another length");
    std::size_t w = 8;
    if (const auto* s = std::get_if<std::vector<std::string>>(&c.values)) {
      w = 1;
      for (const auto& v : *s) w = std::max(w, v.size() + 1);
    }
    width.push_back(w);
    offset.push_back(row);
    row += w;
  }
  H5::CompType type(row);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    if (std::holds_alternative<std::vector<std::int64_t>>(c.values))
      type.insertMember(c.name, offset[i], H5::PredType::NATIVE_INT64);
    else if (std::holds_alternative<std::vector<double>>(c.values))
      type.insertMember(c.name, offset[i], H5::PredType::NATIVE_DOUBLE);
    else
      type.insertMember(c.name, offset[i], H5::StrType(H5::PredType::C_S1, width[i]));
  }
  // Numeric fields fill their 8 bytes; a string field's bytes after the string stay zero.
  ByteBuffer buf(std::max<std::size_t>(n * row, 1));
  bool strings = false;
  for (const auto& c : columns) strings = strings || std::holds_alternative<std::vector<std::string>>(c.values);
  if (strings) std::memset(buf.data(), 0, buf.size());
  for (std::size_t i = 0; i < columns.size(); ++i)
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          for (std::size_t r = 0; r < n; ++r) {
            unsigned char* dst = buf.data() + r * row + offset[i];
            if constexpr (std::is_same_v<V, std::vector<std::string>>)
              std::memcpy(dst, v[r].data(), v[r].size());
            else
              std::memcpy(dst, &v[r], 8);
          }
        },
        columns[i].values);
  create_parents(loc, path);
  const hsize_t dims = n;
  H5::DataSpace space(1, &dims);
  H5::DSetCreatPropList props;
  const hsize_t chunk = std::min<hsize_t>(dims, kChunkRows);
  if (compress && n > 0) {
    props.setChunk(1, &chunk);
    props.setShuffle();
    props.setDeflate(kDeflateLevel);
  }
  H5::DataSet ds = loc.createDataSet(path, type, space, props);
  if (compress && n > 0)
    write_deflated_chunks(ds, buf.data(), row, chunk, n);
  else if (n)
    ds.write(buf.data(), type);
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  const hsize_t k = columns.size();
  H5::DataSpace usp(1, &k);
  std::vector<const char*> units;
  for (const auto& c : columns) units.push_back(c.unit.c_str());
  ds.createAttribute("units", st, usp).write(st, units.data());
}

std::vector<std::string> table_fields(const H5::H5File& file, const std::string& path) {
  const H5::DataSet ds = file.openDataSet(path);
  const H5::CompType t = ds.getCompType();
  std::vector<std::string> out;
  for (int i = 0; i < t.getNmembers(); ++i) out.push_back(t.getMemberName(static_cast<unsigned>(i)));
  return out;
}

std::optional<std::vector<double>> read_numeric_field(const H5::H5File& file, const std::string& path,
                                                      const std::string& field) {
  const H5::DataSet ds = file.openDataSet(path);
  const H5::CompType t = ds.getCompType();
  const int idx = member_index(t, field);
  if (idx < 0) return std::nullopt;
  const H5T_class_t cls = t.getMemberClass(static_cast<unsigned>(idx));
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return std::nullopt;
  hsize_t n = 0;
  ds.getSpace().getSimpleExtentDims(&n);
  std::vector<double> out(n);
  H5::CompType mem(sizeof(double));
  mem.insertMember(field, 0, H5::PredType::NATIVE_DOUBLE);
  if (n) ds.read(out.data(), mem);
  return out;
}

std::optional<std::vector<std::string>> read_string_field(const H5::H5File& file, const std::string& path,
                                                          const std::string& field) {
  const H5::DataSet ds = file.openDataSet(path);
  const H5::CompType t = ds.getCompType();
  const int idx = member_index(t, field);
  if (idx < 0 || t.getMemberClass(static_cast<unsigned>(idx)) != H5T_STRING) return std::nullopt;
  const H5::StrType st = t.getMemberStrType(static_cast<unsigned>(idx));
  hsize_t n = 0;
  ds.getSpace().getSimpleExtentDims(&n);
  std::vector<std::string> out(n);
  if (st.isVariableStr()) {
    H5::StrType vs(H5::PredType::C_S1, H5T_VARIABLE);
    H5::CompType mem(sizeof(char*));
    mem.insertMember(field, 0, vs);
    std::vector<char*> ptr(n, nullptr);
    if (n) ds.read(ptr.data(), mem);
    for (hsize_t i = 0; i < n; ++i) out[i] = ptr[i] ? ptr[i] : "";
    // The strings were allocated by HDF5; reclaim them.
    H5::DataSpace sp(1, &n);
    if (n) H5Dvlen_reclaim(mem.getId(), sp.getId(), H5P_DEFAULT, ptr.data());
    return out;
  }
  const std::size_t w = st.getSize();
  H5::CompType mem(w);
  mem.insertMember(field, 0, H5::StrType(H5::PredType::C_S1, w));
  std::vector<char> buf(std::max<std::size_t>(n * w, 1), 0);
  if (n) ds.read(buf.data(), mem);
  for (hsize_t i = 0; i < n; ++i) {
    const char* p = buf.data() + i * w;
    out[i] = std::string(p, strnlen(p, w));
  }
  return out;
}

std::vector<std::string> table_units(const H5::H5File& file, const std::string& path) {
  const H5::DataSet ds = file.openDataSet(path);
  if (!ds.attrExists("units")) return {};
  const H5::Attribute a = ds.openAttribute("units");
  hsize_t n = 0;
  a.getSpace().getSimpleExtentDims(&n);
  H5::StrType vs(H5::PredType::C_S1, H5T_VARIABLE);
  std::vector<char*> ptr(n, nullptr);
  a.read(vs, ptr.data());
  std::vector<std::string> out;
  for (auto* p : ptr) out.emplace_back(p ? p : "");
  H5::DataSpace sp(1, &n);
  H5Dvlen_reclaim(vs.getId(), sp.getId(), H5P_DEFAULT, ptr.data());
  return out;
}

}  // namespace collabsim
