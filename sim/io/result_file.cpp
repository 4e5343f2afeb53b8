#include "sim/io/result_file.hpp"

#include <H5Cpp.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

#include "sim/io/chunk_writer.hpp"
#include "sim/io/output_path.hpp"

namespace collabsim {
namespace fs = std::filesystem;

namespace {
constexpr hsize_t kChunkRows = 8192;
constexpr int kDeflateLevel = 1;

H5::PredType h5_type(Column::Type t) {
  switch (t) {
    case Column::Type::F64: return H5::PredType::NATIVE_DOUBLE;
    case Column::Type::I64: return H5::PredType::NATIVE_INT64;
    case Column::Type::U64: return H5::PredType::NATIVE_UINT64;
    case Column::Type::I8: return H5::PredType::NATIVE_INT8;
    case Column::Type::U8: return H5::PredType::NATIVE_UINT8;
  }
  return H5::PredType::NATIVE_DOUBLE;
}

void write_units(H5::DataSet& ds, const std::vector<std::string>& units) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  hsize_t n = units.size();
  H5::DataSpace sp(1, &n);
  std::vector<const char*> ptrs;
  for (const auto& u : units) ptrs.push_back(u.c_str());
  ds.createAttribute("units", st, sp).write(st, ptrs.data());
}
}  // namespace

namespace {
void create_parents(H5::H5File& file, const std::string& path);
}  // namespace

/// File-access properties: default (a file on disk) or the core driver without backing
/// store (the file lives in memory; its image is read back with H5Fget_file_image).
H5::FileAccPropList access_props(bool in_memory) {
  H5::FileAccPropList fapl;
  if (in_memory) fapl.setCore(1 << 20, false);
  return fapl;
}

/// A process-unique name for an in-memory file (HDF5 identifies open files by name).
std::string memory_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "collabsim-image-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

struct ResultFile::Impl {
  Impl(const std::string& path, const RecordLayout& layout, const ResultFileOptions& opt)
      : file(path, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access_props(opt.in_memory)),
        row_type(layout.row_size()) {
    if (!opt.requests) return;
    for (const auto& c : layout.columns()) row_type.insertMember(c.name, c.offset, h5_type(c.type));
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = kChunkRows;
    H5::DataSpace space(1, &dims, &maxdims);
    H5::DSetCreatPropList props;
    props.setChunk(1, &chunk);
    // Byte shuffle + deflate level 1: smaller and cheaper than deflate 4 on these
    // row-major compound rows (measured in bench_scenario; see docs/HDF5.md).
    // Filtered on a thread of its own (ChunkWriter), bytes as through this pipeline.
    props.setShuffle();
    props.setDeflate(kDeflateLevel);
    requests = std::make_unique<H5::DataSet>(file.createDataSet("requests", row_type, space, props));
    std::vector<std::string> units;
    for (const auto& c : layout.columns()) units.push_back(c.unit);
    write_units(*requests, units);
    writer = std::make_unique<ChunkWriter>(*requests, layout.row_size(), kChunkRows);
  }
  H5::H5File file;
  H5::CompType row_type;
  std::unique_ptr<H5::DataSet> requests;
  std::unique_ptr<ChunkWriter> writer;  // declared last: joined before the dataset closes
};

ResultFile::ResultFile(fs::path target, RecordLayout layout, ResultFileOptions options)
    : target_(std::move(target)), layout_(std::move(layout)), options_(options), pending_(layout_.row_size()) {
  H5::Exception::dontPrint();
  if (!options_.in_memory) {
    target_ = resolve_output_target(target_);
    check_result_target(target_);
    remove_stale_temps(target_);
    tmp_ = temp_path_for(target_);
    register_temp(tmp_);
  }
  try {
    impl_ = std::make_unique<Impl>(options_.in_memory ? memory_name() : tmp_.string(), layout_, options_);
  } catch (const H5::Exception& e) {
    if (!options_.in_memory) unregister_temp(tmp_);
    throw std::runtime_error("cannot create result file '" + tmp_.string() + "': " + e.getDetailMsg());
  }
  if (options_.requests) chunk_.reserve(kChunkRows * layout_.row_size());
}

ResultFile::~ResultFile() {
  if (!committed_) {
    impl_.reset();  // close before removing
    if (!options_.in_memory) {
      std::error_code ec;
      fs::remove(tmp_, ec);
      unregister_temp(tmp_);
    }
  }
}

void ResultFile::set_attribute(const std::string& name, const std::string& value) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  H5::DataSpace scalar(H5S_SCALAR);
  const char* p = value.c_str();
  impl_->file.createAttribute(name, st, scalar).write(st, &p);
}

void ResultFile::set_attribute(const std::string& name, std::int64_t value) {
  H5::DataSpace scalar(H5S_SCALAR);
  impl_->file.createAttribute(name, H5::PredType::NATIVE_INT64, scalar)
      .write(H5::PredType::NATIVE_INT64, &value);
}

void ResultFile::add(const RequestRecord& r) {
  if (!options_.requests) return;
  layout_.encode(r, pending_.insert(r.request_id));
  const std::size_t row = layout_.row_size();
  pending_.release([&](const unsigned char* p) {
    chunk_.insert(chunk_.end(), p, p + row);
    if (chunk_.size() >= kChunkRows * row) write_chunk();
  });
}

void ResultFile::write_chunk() {
  const hsize_t rows = chunk_.size() / layout_.row_size();
  if (rows == 0) return;
  impl_->writer->write(std::move(chunk_));  // filtered and written on the writer thread, in order
  written_ += rows;
  chunk_ = {};
  chunk_.reserve(kChunkRows * layout_.row_size());
}

void ResultFile::write_row(const std::string& path,
                           const MetricRow& cols) {
  const std::size_t size = 8 * cols.size();
  H5::CompType type(size);
  std::vector<unsigned char> buf(size);
  std::vector<std::string> units;
  std::size_t off = 0;
  for (const auto& [name, uv] : cols) {
    if (name.rfind("n_", 0) == 0) {
      type.insertMember(name, off, H5::PredType::NATIVE_INT64);
      const auto v = static_cast<std::int64_t>(uv.second);
      std::memcpy(buf.data() + off, &v, 8);
    } else {
      type.insertMember(name, off, H5::PredType::NATIVE_DOUBLE);
      std::memcpy(buf.data() + off, &uv.second, 8);
    }
    units.push_back(uv.first);
    off += 8;
  }
  hsize_t one = 1;
  H5::DataSpace space(1, &one);
  create_parents(impl_->file, path);
  H5::DataSet ds = impl_->file.createDataSet(path, type, space);
  ds.write(buf.data(), type);
  write_units(ds, units);
}

namespace {
void create_parents(H5::H5File& file, const std::string& path) {
  for (std::size_t p = path.find('/'); p != std::string::npos; p = path.find('/', p + 1)) {
    const std::string parent = path.substr(0, p);
    if (!parent.empty() && !file.nameExists(parent)) file.createGroup(parent);
  }
}
}  // namespace

void ResultFile::write_table(const std::string& path, const std::vector<std::pair<std::string, std::string>>& fields,
                             const std::vector<std::vector<double>>& columns) {
  const std::size_t k = fields.size();
  const hsize_t n = columns.empty() ? 0 : columns[0].size();
  H5::CompType type(8 * k);
  std::vector<std::string> units;
  for (std::size_t i = 0; i < k; ++i) {
    type.insertMember(fields[i].first, 8 * i, H5::PredType::NATIVE_DOUBLE);
    units.push_back(fields[i].second);
  }
  std::vector<double> buf(n * k);
  for (std::size_t i = 0; i < k; ++i)
    for (hsize_t r = 0; r < n; ++r) buf[r * k + i] = columns[i][r];
  create_parents(impl_->file, path);
  H5::DataSpace space(1, &n);
  H5::DataSet ds = impl_->file.createDataSet(path, type, space);
  if (n) ds.write(buf.data(), type);
  write_units(ds, units);
}

void ResultFile::write_columns(const std::string& path, const std::vector<TableColumn>& columns) {
  collabsim::write_table(impl_->file, path, columns, /*compress=*/true);
}

void ResultFile::commit() {
  write_chunk();
  if (pending_.waiting() != 0)
    throw std::runtime_error("result file: " + std::to_string(pending_.waiting()) +
                             " request rows are waiting for request " + std::to_string(pending_.next()) +
                             ", which never finished");
  if (impl_->writer) {
    impl_->writer->finish();
    impl_->writer.reset();
  }
  if (impl_->requests) impl_->requests->close();
  if (options_.in_memory) {
    impl_->file.flush(H5F_SCOPE_GLOBAL);
    const hid_t id = impl_->file.getId();
    const ssize_t size = H5Fget_file_image(id, nullptr, 0);
    if (size < 0) throw std::runtime_error("result file: cannot read the in-memory HDF5 image");
    image_.resize(static_cast<std::size_t>(size));
    if (H5Fget_file_image(id, image_.data(), image_.size()) != size)
      throw std::runtime_error("result file: short in-memory HDF5 image");
    impl_->file.close();
    impl_.reset();
    committed_ = true;
    return;
  }
  impl_->file.close();
  impl_.reset();
  fs::rename(tmp_, target_);
  unregister_temp(tmp_);
  committed_ = true;
}

}  // namespace collabsim
