#include "sim/io/result_file.hpp"

#include <H5Cpp.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace collabsim {
namespace fs = std::filesystem;

namespace {
constexpr hsize_t kChunkRows = 8192;

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

struct ResultFile::Impl {
  Impl(const fs::path& path, const RecordLayout& layout)
      : file(path.string(), H5F_ACC_TRUNC), row_type(layout.row_size()) {
    for (const auto& c : layout.columns()) row_type.insertMember(c.name, c.offset, h5_type(c.type));
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = kChunkRows;
    H5::DataSpace space(1, &dims, &maxdims);
    H5::DSetCreatPropList props;
    props.setChunk(1, &chunk);
    props.setDeflate(4);
    requests = std::make_unique<H5::DataSet>(file.createDataSet("requests", row_type, space, props));
    std::vector<std::string> units;
    for (const auto& c : layout.columns()) units.push_back(c.unit);
    write_units(*requests, units);
  }
  H5::H5File file;
  H5::CompType row_type;
  std::unique_ptr<H5::DataSet> requests;
};

ResultFile::ResultFile(fs::path target, RecordLayout layout)
    : target_(std::move(target)), layout_(std::move(layout)) {
  if (target_.has_parent_path()) fs::create_directories(target_.parent_path());
  tmp_ = target_;
  tmp_ += ".tmp-" + std::to_string(::getpid());
  H5::Exception::dontPrint();
  try {
    impl_ = std::make_unique<Impl>(tmp_, layout_);
  } catch (const H5::Exception& e) {
    throw std::runtime_error("cannot create result file '" + tmp_.string() + "': " + e.getDetailMsg());
  }
  chunk_.reserve(kChunkRows * layout_.row_size());
}

ResultFile::~ResultFile() {
  if (!committed_) {
    impl_.reset();  // close before removing
    std::error_code ec;
    fs::remove(tmp_, ec);
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
  std::vector<unsigned char> row(layout_.row_size());
  layout_.encode(r, row.data());
  pending_.emplace(r.request_id, std::move(row));
  flush_ready();
}

void ResultFile::flush_ready() {
  while (!pending_.empty() && pending_.begin()->first == next_id_) {
    auto& row = pending_.begin()->second;
    chunk_.insert(chunk_.end(), row.begin(), row.end());
    pending_.erase(pending_.begin());
    ++next_id_;
    if (chunk_.size() >= kChunkRows * layout_.row_size()) write_chunk();
  }
}

void ResultFile::write_chunk() {
  const hsize_t rows = chunk_.size() / layout_.row_size();
  if (rows == 0) return;
  const hsize_t new_size = written_ + rows;
  impl_->requests->extend(&new_size);
  H5::DataSpace file_space = impl_->requests->getSpace();
  const hsize_t start = written_;
  file_space.selectHyperslab(H5S_SELECT_SET, &rows, &start);
  H5::DataSpace mem_space(1, &rows);
  impl_->requests->write(chunk_.data(), impl_->row_type, mem_space, file_space);
  written_ = new_size;
  chunk_.clear();
}

void ResultFile::write_row(const std::string& path,
                           const std::vector<std::pair<std::string, std::pair<std::string, double>>>& cols) {
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

void ResultFile::commit() {
  write_chunk();
  if (!pending_.empty())
    throw std::runtime_error("result file: " + std::to_string(pending_.size()) +
                             " request rows are waiting for request " + std::to_string(next_id_) +
                             ", which never finished");
  impl_->requests->close();
  impl_->file.close();
  impl_.reset();
  fs::rename(tmp_, target_);
  committed_ = true;
}

}  // namespace collabsim
