#include "sim/io/h5_reader.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"

namespace collabsim {
namespace fs = std::filesystem;

namespace {

/// An HDF5 identifier closed by `close` when it goes out of scope.
class Hid {
 public:
  using Close = herr_t (*)(hid_t);
  Hid(hid_t id, Close close) : id_(id), close_(close) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  Close close_;
};

std::string display(const std::string& object) { return object.empty() || object[0] != '/' ? "/" + object : object; }

/// Objects a walk visits at most (a damaged file can hold link cycles) and its depth.
constexpr std::size_t kMaxWalkObjects = 200000;
constexpr int kMaxWalkDepth = 32;

std::string trim_text(std::string s) {
  s = s.substr(0, s.find('\0'));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string H5AttrValue::describe(std::size_t max_items) const {
  if (elements == 0) return "(empty)";
  std::vector<std::string> items;
  for (std::size_t i = 0; i < elements && i < max_items; ++i) {
    if (kind == Kind::text) items.push_back(text[i]);
    else if (kind == Kind::integer) items.push_back(std::to_string(integers[i]));
    else if (kind == Kind::real) items.push_back(fmt::format("{:.6g}", reals[i]));
  }
  if (kind == Kind::other) return fmt::format("(a value of another type, {} elements)", elements);
  if (elements == 1) return items[0];
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  if (elements > items.size()) out += ", …";
  return out + fmt::format("] ({} values)", elements);
}

const H5Field* H5TableInfo::field(const std::string& name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

H5Reader::H5Reader(const fs::path& file, bool isolate) : path_(file) {
  const SourcePos pos{file, 0, 0};
  if (!input_exists(file)) throw InputError(pos, "", "no such file");
  std::error_code ec;
  if (fs::is_directory(file, ec)) throw InputError(pos, "", "is a folder, not a result file");
  if (!fs::is_regular_file(file, ec)) throw InputError(pos, "", "not a regular file");
  file_size_ = fs::file_size(file, ec);
  H5::Exception::dontPrint();
  if (H5Fis_hdf5(file.string().c_str()) <= 0)
    throw InputError(pos, "", "not an HDF5 file (collabsim run and sweep write HDF5 result files)");
  if (isolate) probe_hdf5_isolated(file);
  try {
    file_.openFile(file.string(), H5F_ACC_RDONLY);
  } catch (const H5::Exception& e) {
    throw InputError(pos, "", "cannot be opened as HDF5 (truncated or damaged?): " + e.getDetailMsg());
  }
}

void H5Reader::fail(const std::string& object, const std::string& message) const {
  throw InputError(SourcePos{path_, 0, 0}, display(object), message);
}

void H5Reader::check_rows(const std::string& object, std::uint64_t rows, std::uint64_t bytes_per_row) const {
  const std::uint64_t limit = std::min<std::uint64_t>(kH5ReadCap, 4096 * file_size_ + (std::uint64_t{1} << 20));
  if (bytes_per_row != 0 && rows > limit / bytes_per_row)
    fail(object, fmt::format("declares {} rows of {} bytes, more than this {}-byte file can hold (damaged?)", rows,
                             bytes_per_row, file_size_));
}

bool H5Reader::exists(const std::string& object) const {
  if (object.empty()) return false;
  std::string path;
  std::size_t start = object[0] == '/' ? 1 : 0;
  while (start <= object.size()) {
    const auto slash = object.find('/', start);
    path = object.substr(0, slash);
    if (!path.empty() && path != "/" && H5Lexists(file_.getId(), path.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return H5Oexists_by_name(file_.getId(), object.c_str(), H5P_DEFAULT) > 0;
}

namespace {
herr_t collect_attr_name(hid_t, const char* name, const H5A_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return static_cast<std::vector<std::string>*>(out)->size() >= 100000 ? 1 : 0;
}
}  // namespace

std::vector<std::string> H5Reader::attr_names(const std::string& object) const {
  Hid obj(H5Oopen(file_.getId(), object.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) fail(object, "cannot be opened (damaged?)");
  std::vector<std::string> names;
  hsize_t idx = 0;
  if (H5Aiterate2(obj.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr_name, &names) < 0)
    fail(object, "its attributes cannot be listed (damaged?)");
  return names;
}

bool H5Reader::has_attr(const std::string& name, const std::string& object) const {
  return H5Aexists_by_name(file_.getId(), object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

H5AttrValue H5Reader::attr(const std::string& name, const std::string& object) const {
  const std::string where = object == "/" ? "@" + name : display(object) + "@" + name;
  Hid a(H5Aopen_by_name(file_.getId(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.ok()) fail(where, "cannot be opened (absent or damaged)");
  Hid space(H5Aget_space(a.get()), H5Sclose);
  Hid type(H5Aget_type(a.get()), H5Tclose);
  if (!space.ok() || !type.ok()) fail(where, "its type or shape cannot be read (damaged?)");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail(where, "its shape cannot be read (damaged?)");
  H5AttrValue v;
  v.elements = static_cast<std::size_t>(n);
  const H5T_class_t cls = H5Tget_class(type.get());
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0) fail(where, "has a type of size 0 (damaged?)");
  if (static_cast<std::uint64_t>(n) > kH5ReadCap / std::max<std::size_t>(size, 8))
    fail(where, fmt::format("declares {} elements, too many for an attribute (damaged?)", n));
  if (cls == H5T_STRING) {
    v.kind = H5AttrValue::Kind::text;
    if (n == 0) return v;
    const htri_t var = H5Tis_variable_str(type.get());
    if (var < 0) fail(where, "its string type cannot be read (damaged?)");
    if (var > 0) {
      Hid mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), H5T_VARIABLE);
      std::vector<char*> ptr(static_cast<std::size_t>(n), nullptr);
      if (H5Aread(a.get(), mem.get(), ptr.data()) < 0) fail(where, "cannot be read (damaged?)");
      for (auto* p : ptr) v.text.emplace_back(p ? p : "");
      H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptr.data());
    } else {
      Hid mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), size);
      std::vector<char> buf(static_cast<std::size_t>(n) * size, 0);
      if (H5Aread(a.get(), mem.get(), buf.data()) < 0) fail(where, "cannot be read (damaged?)");
      for (hssize_t i = 0; i < n; ++i)
        v.text.push_back(trim_text(std::string(buf.data() + static_cast<std::size_t>(i) * size, size)));
    }
  } else if (cls == H5T_INTEGER) {
    v.kind = H5AttrValue::Kind::integer;
    v.integers.resize(static_cast<std::size_t>(n));
    if (n && H5Aread(a.get(), H5T_NATIVE_INT64, v.integers.data()) < 0) fail(where, "cannot be read (damaged?)");
  } else if (cls == H5T_FLOAT) {
    v.kind = H5AttrValue::Kind::real;
    v.reals.resize(static_cast<std::size_t>(n));
    if (n && H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.reals.data()) < 0) fail(where, "cannot be read (damaged?)");
  }
  return v;
}

std::string H5Reader::attr_string(const std::string& name, const std::string& object) const {
  const H5AttrValue v = attr(name, object);
  const std::string where = object == "/" ? "@" + name : display(object) + "@" + name;
  if (v.kind != H5AttrValue::Kind::text) fail(where, "is not text");
  if (v.elements != 1) fail(where, fmt::format("holds {} texts, expected one", v.elements));
  return v.text[0];
}

std::int64_t H5Reader::attr_int(const std::string& name, const std::string& object) const {
  const H5AttrValue v = attr(name, object);
  const std::string where = object == "/" ? "@" + name : display(object) + "@" + name;
  if (v.kind != H5AttrValue::Kind::integer) fail(where, "is not an integer");
  if (v.elements != 1) fail(where, fmt::format("holds {} values, expected one", v.elements));
  return v.integers[0];
}

std::optional<std::string> H5Reader::attr_text(const std::string& name, const std::string& object) const {
  if (!has_attr(name, object)) return std::nullopt;
  const H5AttrValue v = attr(name, object);
  if (v.elements != 1) return std::nullopt;
  if (v.kind == H5AttrValue::Kind::text) return v.text[0];
  if (v.kind == H5AttrValue::Kind::integer) return std::to_string(v.integers[0]);
  return std::nullopt;
}

std::vector<std::pair<std::string, bool>> H5Reader::children(const std::string& group) const {
  Hid g(H5Gopen2(file_.getId(), group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) fail(group, "cannot be opened as a group (damaged?)");
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) fail(group, "cannot be listed (damaged?)");
  std::vector<std::pair<std::string, bool>> out;
  for (hsize_t i = 0; i < info.nlinks && i < kMaxWalkObjects; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(group, "a link name cannot be read (damaged?)");
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(len));
    Hid o(H5Oopen(g.get(), name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!o.ok()) continue;  // a dangling link: nothing to read
    const H5I_type_t t = H5Iget_type(o.get());
    if (t == H5I_GROUP) out.emplace_back(name, true);
    else if (t == H5I_DATASET) out.emplace_back(name, false);
  }
  return out;
}

bool H5Reader::is_dataset(const std::string& object) const {
  if (!exists(object)) return false;
  Hid o(H5Oopen(file_.getId(), object.c_str(), H5P_DEFAULT), H5Oclose);
  return o.ok() && H5Iget_type(o.get()) == H5I_DATASET;
}

H5Reader::DatasetShape H5Reader::shape(const std::string& object) const {
  Hid ds(H5Dopen2(file_.getId(), object.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) fail(object, "cannot be opened as a dataset (absent or damaged)");
  Hid sp(H5Dget_space(ds.get()), H5Sclose);
  Hid ty(H5Dget_type(ds.get()), H5Tclose);
  if (!sp.ok() || !ty.ok()) fail(object, "its type or shape cannot be read (damaged?)");
  const int rank = H5Sget_simple_extent_ndims(sp.get());
  if (rank < 0 || rank > H5S_MAX_RANK) fail(object, "its shape cannot be read (damaged?)");
  DatasetShape s;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(sp.get(), dims.data(), nullptr) < 0)
    fail(object, "its shape cannot be read (damaged?)");
  s.dims.assign(dims.begin(), dims.end());
  s.cls = H5Tget_class(ty.get());
  return s;
}

H5TableInfo H5Reader::table(const std::string& path) const {
  if (!exists(path)) fail(path, "is missing");
  Hid ds(H5Dopen2(file_.getId(), path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) fail(path, "is not a dataset (or is damaged)");
  Hid sp(H5Dget_space(ds.get()), H5Sclose);
  Hid ty(H5Dget_type(ds.get()), H5Tclose);
  if (!sp.ok() || !ty.ok()) fail(path, "its type or shape cannot be read (damaged?)");
  if (H5Tget_class(ty.get()) != H5T_COMPOUND) fail(path, "is not a table of named fields (compound type expected)");
  const int rank = H5Sget_simple_extent_ndims(sp.get());
  if (rank != 1) fail(path, fmt::format("has rank {}, a table is one-dimensional", rank));
  hsize_t rows = 0;
  if (H5Sget_simple_extent_dims(sp.get(), &rows, nullptr) < 0) fail(path, "its shape cannot be read (damaged?)");
  H5TableInfo t;
  t.path = path[0] == '/' ? path.substr(1) : path;
  t.rows = rows;
  const int members = H5Tget_nmembers(ty.get());
  if (members < 0) fail(path, "its fields cannot be read (damaged?)");
  for (int i = 0; i < members; ++i) {
    char* name = H5Tget_member_name(ty.get(), static_cast<unsigned>(i));
    if (!name) fail(path, "a field name cannot be read (damaged?)");
    H5Field f;
    f.name = name;
    H5free_memory(name);
    f.cls = H5Tget_member_class(ty.get(), static_cast<unsigned>(i));
    Hid mt(H5Tget_member_type(ty.get(), static_cast<unsigned>(i)), H5Tclose);
    if (!mt.ok()) fail(path, "field '" + f.name + "': its type cannot be read (damaged?)");
    f.size = H5Tget_size(mt.get());
    if (f.cls == H5T_STRING && H5Tis_variable_str(mt.get()) > 0) f.size = sizeof(char*);
    t.fields.push_back(std::move(f));
  }
  check_rows(path, rows, 8);
  return t;
}

std::vector<double> H5Reader::numbers(const H5TableInfo& t, const std::string& field) const {
  const H5Field* f = t.field(field);
  if (!f) fail(t.path, "has no field '" + field + "'");
  if (!f->numeric()) fail(t.path, "field '" + field + "' is not a number");
  check_rows(t.path, t.rows, 8);
  Hid ds(H5Dopen2(file_.getId(), t.path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) fail(t.path, "cannot be opened (damaged?)");
  Hid mem(H5Tcreate(H5T_COMPOUND, sizeof(double)), H5Tclose);
  H5Tinsert(mem.get(), field.c_str(), 0, H5T_NATIVE_DOUBLE);
  std::vector<double> out(t.rows);
  if (t.rows && H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    fail(t.path, "field '" + field + "' cannot be read (truncated or damaged?)");
  return out;
}

std::vector<std::string> H5Reader::strings(const H5TableInfo& t, const std::string& field) const {
  const H5Field* f = t.field(field);
  if (!f) fail(t.path, "has no field '" + field + "'");
  if (f->cls != H5T_STRING) fail(t.path, "field '" + field + "' is not text");
  check_rows(t.path, t.rows, std::max<std::size_t>(f->size, 8));
  Hid ds(H5Dopen2(file_.getId(), t.path.c_str(), H5P_DEFAULT), H5Dclose);
  Hid ty(H5Dget_type(ds.get()), H5Tclose);
  if (!ds.ok() || !ty.ok()) fail(t.path, "cannot be opened (damaged?)");
  const int idx = H5Tget_member_index(ty.get(), field.c_str());
  Hid member(H5Tget_member_type(ty.get(), static_cast<unsigned>(idx)), H5Tclose);
  if (idx < 0 || !member.ok()) fail(t.path, "field '" + field + "' cannot be read (damaged?)");
  std::vector<std::string> out;
  out.reserve(t.rows);
  if (H5Tis_variable_str(member.get()) > 0) {
    Hid str(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(str.get(), H5T_VARIABLE);
    Hid mem(H5Tcreate(H5T_COMPOUND, sizeof(char*)), H5Tclose);
    H5Tinsert(mem.get(), field.c_str(), 0, str.get());
    std::vector<char*> ptr(t.rows, nullptr);
    if (t.rows && H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptr.data()) < 0)
      fail(t.path, "field '" + field + "' cannot be read (truncated or damaged?)");
    for (auto* p : ptr) out.push_back(trim_text(p ? p : ""));
    if (t.rows) {
      const hsize_t n = t.rows;
      Hid sp(H5Screate_simple(1, &n, nullptr), H5Sclose);
      H5Dvlen_reclaim(mem.get(), sp.get(), H5P_DEFAULT, ptr.data());
    }
    return out;
  }
  const std::size_t w = f->size;
  Hid str(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(str.get(), w);
  Hid mem(H5Tcreate(H5T_COMPOUND, w), H5Tclose);
  H5Tinsert(mem.get(), field.c_str(), 0, str.get());
  std::vector<char> buf(std::max<std::size_t>(t.rows * w, 1), 0);
  if (t.rows && H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
    fail(t.path, "field '" + field + "' cannot be read (truncated or damaged?)");
  for (std::uint64_t i = 0; i < t.rows; ++i) out.push_back(trim_text(std::string(buf.data() + i * w, w)));
  return out;
}

std::vector<std::string> H5Reader::units(const H5TableInfo& t) const {
  if (!has_attr("units", t.path)) return {};
  const H5AttrValue v = attr("units", t.path);
  if (v.kind != H5AttrValue::Kind::text || v.elements != t.fields.size()) return {};
  Hid a(H5Aopen_by_name(file_.getId(), t.path.c_str(), "units", H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  Hid sp(H5Aget_space(a.get()), H5Sclose);
  if (!sp.ok() || H5Sget_simple_extent_ndims(sp.get()) != 1) return {};
  return v.text;
}

std::vector<double> H5Reader::row(const H5TableInfo& t) const {
  if (t.rows != 1) fail(t.path, fmt::format("has {} rows, expected one", t.rows));
  // Every numeric field in one read, as doubles side by side: a read per field (numbers())
  // makes libhdf5 allocate and clear its 1 MB conversion buffers once per field, which made
  // reading a sweep part's /summary (about 60 fields) ~20 ms.
  std::vector<double> out(t.fields.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<std::size_t> numeric;
  for (std::size_t i = 0; i < t.fields.size(); ++i)
    if (t.fields[i].numeric()) numeric.push_back(i);
  if (numeric.empty()) return out;
  Hid ds(H5Dopen2(file_.getId(), t.path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) fail(t.path, "cannot be opened (damaged?)");
  Hid mem(H5Tcreate(H5T_COMPOUND, sizeof(double) * numeric.size()), H5Tclose);
  for (std::size_t k = 0; k < numeric.size(); ++k)
    if (H5Tinsert(mem.get(), t.fields[numeric[k]].name.c_str(), sizeof(double) * k, H5T_NATIVE_DOUBLE) < 0)
      fail(t.path, "field '" + t.fields[numeric[k]].name + "' cannot be read (damaged?)");
  std::vector<double> values(numeric.size());
  if (H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail(t.path, "cannot be read (truncated or damaged?)");
  for (std::size_t k = 0; k < numeric.size(); ++k) out[numeric[k]] = values[k];
  return out;
}

// ---------------------------------------------------------------------------------------
// The whole-file walk and the isolated probe

namespace {

void read_dataset_raw(const H5Reader& r, const std::string& path) {
  const auto s = r.shape(path);
  if (s.cls == H5T_COMPOUND && s.dims.size() == 1) {
    // The whole table in one read of its native row type, so each chunk is decompressed
    // once: a read per field (H5Reader::numbers) opens the dataset again and inflates every
    // chunk again, which made probing a sweep part (/users, 10,000 rows × 16 fields) cost
    // ~0.13 s of a resume per part.
    const H5TableInfo t = r.table(path);
    Hid ds(H5Dopen2(r.file().getId(), path.c_str(), H5P_DEFAULT), H5Dclose);
    Hid file_type(ds.ok() ? H5Dget_type(ds.get()) : -1, H5Tclose);
    Hid row(file_type.ok() ? H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND) : -1, H5Tclose);
    if (!row.ok()) r.fail(path, "cannot be opened (damaged?)");
    const std::size_t width = std::max<std::size_t>(H5Tget_size(row.get()), 1);
    if (t.rows > kH5ReadCap / width) r.fail(path, "is too large to read (damaged?)");
    std::vector<unsigned char> buf(std::max<std::size_t>(t.rows * width, 1));
    if (t.rows && H5Dread(ds.get(), row.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      r.fail(path, "cannot be read (truncated or damaged?)");
    if (t.rows && H5Tdetect_class(row.get(), H5T_VLEN) + H5Tdetect_class(row.get(), H5T_STRING) > 0) {
      const hsize_t n = t.rows;
      Hid sp(H5Screate_simple(1, &n, nullptr), H5Sclose);
      H5Dvlen_reclaim(row.get(), sp.get(), H5P_DEFAULT, buf.data());  // variable-length strings
    }
    return;
  }
  if (s.cls != H5T_INTEGER && s.cls != H5T_FLOAT) return;  // other layouts: collabsim writes none
  std::uint64_t n = 1;
  for (auto d : s.dims) n = d == 0 ? 0 : (n > kH5ReadCap / d ? kH5ReadCap : n * d);
  if (n > kH5ReadCap / 8) r.fail(path, "is too large to read (damaged?)");
  Hid ds(H5Dopen2(r.file().getId(), path.c_str(), H5P_DEFAULT), H5Dclose);
  std::vector<double> buf(std::max<std::uint64_t>(n, 1));
  if (n && H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
    r.fail(path, "cannot be read (truncated or damaged?)");
}

void walk(const H5Reader& r, const std::string& group, int depth, std::size_t& visited) {
  if (depth > kMaxWalkDepth) return;
  for (const auto& name : r.attr_names(group)) r.attr(name, group);
  for (const auto& [name, is_group] : r.children(group)) {
    if (++visited > kMaxWalkObjects) return;
    const std::string path = group == "/" ? "/" + name : group + "/" + name;
    if (is_group) {
      walk(r, path, depth + 1, visited);
    } else {
      for (const auto& a : r.attr_names(path)) r.attr(a, path);
      read_dataset_raw(r, path);
    }
  }
}

}  // namespace

void read_everything(const H5Reader& reader) {
  std::size_t visited = 0;
  walk(reader, "/", 0, visited);
}

void run_in_child(const fs::path& file, const std::function<void()>& work, unsigned timeout_s) {
  const SourcePos pos{file, 0, 0};
  const pid_t pid = ::fork();
  if (pid < 0) return;  // cannot fork (process limit): the caller reads in this process as before
  if (pid == 0) {
    ::alarm(timeout_s);
    int code = 0;
    try {
      work();
    } catch (...) {
      code = 3;  // a checked error: the parent's own read reports it
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return;
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if (sig == SIGALRM)
      throw InputError(pos, "", fmt::format("reading it took more than {} s in a separate process; refused", timeout_s));
    throw InputError(pos, "",
                     fmt::format("libhdf5 crashed (signal {}, {}) reading this file in a separate process: the file "
                                 "is damaged and is not read",
                                 sig, ::strsignal(sig)));
  }
  // A sanitizer build turns a crash into exit status 1 (or its exitcode option).
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)
    throw InputError(pos, "",
                     fmt::format("libhdf5 crashed (exit status {}) reading this file in a separate process: the file "
                                 "is damaged and is not read",
                                 WEXITSTATUS(status)));
}

void probe_hdf5_isolated(const fs::path& file, unsigned timeout_s) {
  run_in_child(
      file,
      [&] {
        const H5Reader r(file, false);
        read_everything(r);
      },
      timeout_s);
}

}  // namespace collabsim
