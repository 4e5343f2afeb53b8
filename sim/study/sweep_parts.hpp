#pragma once
/// \file sweep_parts.hpp
/// The finished points of an unfinished sweep (`<output>.parts/p<index>.h5`) and how a
/// resume decides which of them to trust (issue 23, W5).
///
/// Each part carries two root attributes: `point_spec_sha256`, the SHA-256 of the sweep
/// manifest (scenario path and hash, overrides, axes, seeds) plus the point's index and its
/// own overrides, and `sweep_inputs_sha256`, the SHA-256 of the sweep's input records (the
/// base scenario's files with their SHA-256, provenance.hpp). A resume keeps a part only
/// when its name parses strictly (`p` + at least 6 decimal digits + `.h5`, an index inside
/// the plan), it opens through the checked reader (in a child process first), both hashes
/// match, and its /summary is one row holding every summary metric as a number. Anything
/// else is removed, reported, and its point run again.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/io/provenance.hpp"
#include "sim/study/point_runner.hpp"

namespace collabsim {

/// `p` + the index with at least 6 digits ("p000042").
std::string part_name(std::uint64_t index);

/// The index of a part file name ("p000042.h5" → 42); std::nullopt for anything else
/// ("p+00003.h5", "p00042.h5", "p000042.h5.tmp-1", an index past 10^15).
std::optional<std::uint64_t> parse_part_name(const std::string& file_name);

/// SHA-256 identifying one point: the manifest, the index and the point's overrides.
std::string point_spec_hash(const std::string& manifest, std::uint64_t index, const std::vector<std::string>& overrides);

/// SHA-256 of the sweep's input records (role, path, sha256 of each, in order).
std::string sweep_inputs_hash(const std::vector<InputRecord>& inputs);

/// A finished point's values in /sweep/points: every Summary::columns() metric (in that
/// order) and the calibrated value (NaN when the point calibrated nothing).
struct PointRow {
  std::vector<double> metrics;
  double calibrated = 0;
};

/// The row of a finished point from its outcome, in memory (sweep item 5: rank 0 merges
/// the sweep file from these; a part file is read back only for a point kept from an
/// earlier, interrupted run). Equal bit for bit to read_point_row of the part written from
/// the same outcome: n_ counts are truncated to integers as /summary stores them (int64),
/// and the calibrated value is the number its attribute's shortest round-trip text reads
/// back as. `outcome` must be ok.
PointRow point_row(const PointOutcome& outcome);

/// The row read back from a part file (its /summary and `calibrated_value` attribute);
/// a metric missing from /summary, not numeric, or a /summary of other than one row gives
/// NaN. Throws InputError when the file cannot be read.
PointRow read_point_row(const std::filesystem::path& part);

/// What a scan of the parts folder found.
struct PartScan {
  std::set<std::uint64_t> done;       ///< points whose part is kept
  std::vector<std::string> rerun;     ///< "p000003.h5: <why>; its point runs again" (file removed)
  std::vector<std::string> ignored;   ///< "<name>: not a part name; ignored" (stray files, left alone)
};

/// Scans `parts` (see the file comment): `spec_hash[i]` is point i's point_spec_hash,
/// `inputs_hash` the sweep's. Parts that fail a check are removed from the folder. Throws
/// std::filesystem::filesystem_error only when the folder cannot be listed.
/// `isolate`: open each part in a child process first (h5_reader.hpp; false only for the
/// fuzz harness, which cannot fork per input).
PartScan scan_parts(const std::filesystem::path& parts, const std::vector<std::string>& spec_hash,
                    const std::string& inputs_hash, bool isolate = true);

}  // namespace collabsim
