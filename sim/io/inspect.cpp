#include "sim/io/inspect.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace collabsim {
namespace {

std::string read_string_attr(const H5::Attribute& a) {
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

void describe_dataset(const H5::DataSet& ds, const std::string& name, std::ostream& os) {
  H5::DataSpace sp = ds.getSpace();
  hsize_t n = 0;
  if (sp.getSimpleExtentNdims() == 1) sp.getSimpleExtentDims(&n);
  os << fmt::format("  /{}  ({} rows)\n", name, n);
  if (ds.getTypeClass() != H5T_COMPOUND) return;
  H5::CompType ct = ds.getCompType();
  const int members = ct.getNmembers();
  std::vector<unsigned char> row(ct.getSize());
  const bool show = n == 1;
  if (show) ds.read(row.data(), ct);
  std::vector<std::string> units;
  if (ds.attrExists("units")) {
    H5::Attribute a = ds.openAttribute("units");
    hsize_t nu = 0;
    a.getSpace().getSimpleExtentDims(&nu);
    std::vector<char*> ptrs(nu);
    H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
    a.read(st, ptrs.data());
    for (auto* p : ptrs) units.emplace_back(p ? p : "");
    H5Dvlen_reclaim(st.getId(), a.getSpace().getId(), H5P_DEFAULT, ptrs.data());
  }
  for (int i = 0; i < members; ++i) {
    const std::string unit = i < static_cast<int>(units.size()) ? units[i] : "";
    std::string value;
    if (show) {
      const auto off = ct.getMemberOffset(i);
      const auto cls = ct.getMemberClass(i);
      if (cls == H5T_FLOAT) {
        double v;
        std::memcpy(&v, row.data() + off, 8);
        value = fmt::format("{:.6g}", v);
      } else if (cls == H5T_INTEGER) {
        std::int64_t v;
        std::memcpy(&v, row.data() + off, 8);
        value = fmt::format("{}", v);
      }
    }
    os << fmt::format("      {:<24} {:<12} {}\n", ct.getMemberName(i), unit, value);
  }
}

}  // namespace

void inspect_result(const std::filesystem::path& file, std::ostream& os) {
  if (!std::filesystem::exists(file)) throw std::runtime_error(file.string() + ": no such file");
  H5::Exception::dontPrint();
  if (H5Fis_hdf5(file.string().c_str()) <= 0) throw std::runtime_error(file.string() + ": not an HDF5 file");
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  os << file.string() << "\n";
  for (int i = 0; i < f.getNumAttrs(); ++i) {
    H5::Attribute a = f.openAttribute(static_cast<unsigned>(i));
    const std::string name = a.getName();
    if (name == "scenario" || name == "scenario_source") {
      const std::string text = read_string_attr(a);
      os << fmt::format("  @{:<18} ({} lines of TOML)\n", name, std::count(text.begin(), text.end(), '\n'));
      continue;
    }
    if (a.getTypeClass() == H5T_STRING)
      os << fmt::format("  @{:<18} {}\n", name, read_string_attr(a));
    else {
      std::int64_t v = 0;
      a.read(H5::PredType::NATIVE_INT64, &v);
      os << fmt::format("  @{:<18} {}\n", name, v);
    }
  }
  std::function<void(H5::Group&, const std::string&)> walk = [&](H5::Group& g, const std::string& prefix) {
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) {
      const std::string name = g.getObjnameByIdx(i);
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (g.getObjTypeByIdx(i) == H5G_GROUP) {
        H5::Group sub = g.openGroup(name);
        walk(sub, path);
      } else if (g.getObjTypeByIdx(i) == H5G_DATASET) {
        describe_dataset(g.openDataSet(name), path, os);
      }
    }
  };
  H5::Group root = f.openGroup("/");
  walk(root, "");
}

}  // namespace collabsim
