// read_line: std::getline's results (lines across the 4 KiB read buffer included) with a
// bound on the line length.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"

namespace collabsim {
namespace {

std::vector<std::string> lines_of(const std::string& text, std::size_t max_bytes = 1 << 20) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string line;
  std::size_t n = 0;
  while (read_line(in, line, max_bytes, "t.csv", ++n)) out.push_back(line);
  return out;
}

std::vector<std::string> getline_lines(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST(ReadLine, SameLinesAsGetline) {
  for (const std::string& text :
       {std::string("a,b\r\nc\n\nlast"), std::string("x\n"), std::string(""), std::string("\n\n"),
        std::string(4095, 'a') + "\n" + std::string(4096, 'b') + "\n" + std::string(9000, 'c'),
        std::string(4094, 'd') + "\r\n" + std::string(8190, 'e') + "\n"})
    EXPECT_EQ(lines_of(text), getline_lines(text)) << text.size();
}

TEST(ReadLine, BoundsTheLineLength) {
  EXPECT_EQ(lines_of(std::string(10000, 'x') + "\nok\n", 10000).size(), 2u);  // exactly the bound: fine
  try {
    lines_of("ok\n" + std::string(10001, 'x') + "\n", 10000);
    FAIL() << "no error for a line above the bound";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line longer than 10000 bytes"), std::string::npos) << e.what();
  }
}

TEST(ReadLine, EndOfInputState) {
  std::istringstream in("one\ntwo");
  std::string line;
  ASSERT_TRUE(read_line(in, line, 100, "t.csv", 1));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(read_line(in, line, 100, "t.csv", 2));
  EXPECT_EQ(line, "two");
  EXPECT_TRUE(in.eof());
  EXPECT_FALSE(read_line(in, line, 100, "t.csv", 3));
  EXPECT_TRUE(line.empty());
}

}  // namespace
}  // namespace collabsim
