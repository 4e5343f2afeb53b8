// Units and declared-parameter validation.
#include <gtest/gtest.h>

#include "sim/config/toml_params.hpp"
#include "sim/config/params.hpp"
#include "sim/config/units.hpp"

using namespace collabsim;

TEST(Units, ParsesToBaseUnits) {
  EXPECT_DOUBLE_EQ(parse_quantity("35 ms", Dimension::Time), 0.035);
  EXPECT_DOUBLE_EQ(parse_quantity("2h", Dimension::Time), 7200.0);
  EXPECT_DOUBLE_EQ(parse_quantity("20 Mbit/s", Dimension::Bandwidth), 2.5e6);
  EXPECT_DOUBLE_EQ(parse_quantity("1 GiB", Dimension::Data), 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_quantity("989 TFLOP/s", Dimension::FlopRate), 989e12);
  EXPECT_DOUBLE_EQ(parse_quantity("3.6 USD/h", Dimension::PriceRate), 0.001);
  EXPECT_DOUBLE_EQ(parse_quantity("2 USD/Mtok", Dimension::TokenPrice), 2e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("1 Wh", Dimension::Energy), 3600.0);
}

TEST(Units, RejectsWrongDimensionAndMissingUnit) {
  try {
    parse_quantity("35 MB", Dimension::Time);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'MB' is not a unit of time"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_quantity("35", Dimension::Time), std::invalid_argument);
  EXPECT_THROW(parse_quantity("fast", Dimension::Bandwidth), std::invalid_argument);
}

namespace {
const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      Field::real("threshold", 0.5, "1", "escalation threshold", 0.0, 1.0),
      Field::quantity("latency", "40 ms", Dimension::Time, "one-way latency"),
      Field::integer("replicas", 1, "1", "servers", 1, 100),
      Field::text("policy", "fifo", "queue policy", {"fifo", "lifo"}),
      Field::text("model", std::nullopt, "required model"),
  };
  return f;
}
std::string error_of(const std::string& toml_text) {
  try {
    auto t = toml::parse(toml_text, std::string_view("test.toml"));
    read_params(t, fields(), "sec");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Params, DefaultsAndGivenValues) {
  auto t = toml::parse("model = \"m\"\nlatency = \"1 s\"\n", std::string_view("x.toml"));
  const ParamSet p = read_params(t, fields(), "sec");
  EXPECT_DOUBLE_EQ(p.number("threshold"), 0.5);
  EXPECT_FALSE(p.given("threshold"));
  EXPECT_DOUBLE_EQ(p.number("latency"), 1.0);
  EXPECT_TRUE(p.given("latency"));
  EXPECT_EQ(p.integer("replicas"), 1);
  EXPECT_EQ(p.text("policy"), "fifo");
  EXPECT_EQ(p.pos("latency").line, 2u);
}

TEST(Params, ErrorsNameFileLineAndKey) {
  const auto unknown = error_of("model = \"m\"\nthreshhold = 0.3\n");
  EXPECT_NE(unknown.find("test.toml:2:1"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("sec.threshhold"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("did you mean 'threshold'"), std::string::npos) << unknown;

  const auto range = error_of("model = \"m\"\nthreshold = 1.5\n");
  EXPECT_NE(range.find("test.toml:2"), std::string::npos) << range;
  EXPECT_NE(range.find("out of range"), std::string::npos) << range;

  const auto unit = error_of("model = \"m\"\nlatency = 40\n");
  EXPECT_NE(unit.find("no unit"), std::string::npos) << unit;
  const auto wrong_unit = error_of("model = \"m\"\nlatency = \"40 GB\"\n");
  EXPECT_NE(wrong_unit.find("not a unit of time"), std::string::npos) << wrong_unit;

  const auto missing = error_of("threshold = 0.2\n");
  EXPECT_NE(missing.find("sec.model"), std::string::npos) << missing;
  EXPECT_NE(missing.find("required"), std::string::npos) << missing;

  const auto choice = error_of("model = \"m\"\npolicy = \"random\"\n");
  EXPECT_NE(choice.find("not one of: fifo, lifo"), std::string::npos) << choice;

  const auto type = error_of("model = 3\n");
  EXPECT_NE(type.find("expected a string"), std::string::npos) << type;
}

TEST(Params, DescribeListsEveryField) {
  const std::string s = describe_fields(fields());
  for (const auto& f : fields()) EXPECT_NE(s.find(f.key), std::string::npos);
  EXPECT_NE(s.find("40 ms"), std::string::npos);
}
