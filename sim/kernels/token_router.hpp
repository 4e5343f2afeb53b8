#pragma once
/// \file token_router.hpp
/// A CITER-style per-token router run on the real teacher/student byte LMs (Zheng et al.,
/// "CITER: Collaborative Inference for Efficient LLM Decoding with Token-Level Routing",
/// 2025): at each position of held-out text the student's confidence (its largest
/// next-byte probability) decides whether that byte's distribution comes from the teacher
/// (low confidence) or stays with the student. The quality of the routed output is the
/// cross-entropy of the actual next byte under the routed distribution, in bits per byte
/// (bpb): bpb(s) = mean over positions of −log2 p_routed(x), p_routed = p_teacher on the
/// routed positions and p_student elsewhere. Sweeping the threshold traces bpb against the
/// teacher token share s; bpb(0) is the student's bpb and bpb(1) the teacher's, exactly.
/// The oracle-free baseline routes a seeded random subset of the same size (its
/// expectation is the straight line (1 − s)·bpb(0) + s·bpb(1)).
///
/// The curve also maps the token share to the simulator's quality (mechanism
/// token_routing, quality_model = "measured"): the gap recovered
///   g(s) = (bpb(0) − bpb(s)) / (bpb(0) − bpb(1)), clamped to [0, 1],
/// is taken as the probability that an answer has the LLM's outcome (an assumption: bits
/// per byte on question text stand in for answer accuracy).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/kernels/char_lm.hpp"

namespace collabsim::kernels {

/// Per-position scores of a teacher/student pair (one entry per scored position).
struct TokenScores {
  std::vector<float> confidence;      ///< student's max next-byte probability, in (0, 1]
  std::vector<double> student_bits;   ///< −log2 p_student(actual byte), bits
  std::vector<double> teacher_bits;   ///< −log2 p_teacher(actual byte), bits
  std::vector<std::uint8_t> agree;    ///< 1 when the student's argmax byte is the teacher's
};

/// Scores the positions of `text` that CharLm::bits_per_byte scores (every position up to
/// `max_positions`, evenly spaced, in batches of 512), so that the mean of student_bits /
/// teacher_bits equals student.bits_per_byte / teacher.bits_per_byte on the same text.
TokenScores score_tokens(const CharLm& teacher, const CharLm& student, const std::string& text,
                         std::size_t max_positions = 200000);

/// One point of the routing curve.
struct RoutingPoint {
  double teacher_share = 0;   ///< fraction of positions routed to the teacher, in [0, 1]
  double threshold = 0;       ///< confidence cut (see routing_curve), probability
  double bpb_routed = 0;      ///< bits per byte of the confidence-routed output
  double bpb_random = 0;      ///< bits per byte when the same number of positions is routed at random (seeded)
  double agreement = 0;       ///< fraction of positions whose routed argmax byte is the teacher's
};

/// The curve at the teacher shares `shares` (each in [0, 1]): for share s the k = round(s·n)
/// least confident positions go to the teacher (ties broken by position), and `threshold`
/// is the confidence of the first position kept on the student (2.0 when k = n: all
/// routed). Deterministic for a given `seed` (the random baseline's draws).
/// Throws std::invalid_argument on empty scores or a share outside [0, 1].
std::vector<RoutingPoint> routing_curve(const TokenScores& scores, const std::vector<double>& shares,
                                        std::uint64_t seed);

/// The routing curve as the simulator reads it: teacher shares ascending from 0 to 1 and
/// the bits per byte there.
struct RoutingCurve {
  std::vector<double> share, bpb;
  /// Gap recovered g(s) (see the file comment), linearly interpolated in s, clamped to [0, 1].
  double gap_recovered(double s) const;
};

/// Writes `points` as CSV (comment lines starting with '#' from `header_comment`, then
/// teacher_share,threshold,bpb_routed,bpb_random,agreement).
void write_routing_csv(const std::filesystem::path& file, const std::vector<RoutingPoint>& points,
                       const std::string& header_comment);

/// Reads a curve written by write_routing_csv. Throws InputError naming `file`, the line
/// and `key` when the file is missing, malformed, the shares do not rise from 0 to 1, or
/// a bits-per-byte value is not finite and positive, or bpb(0) ≤ bpb(1).
RoutingCurve read_routing_csv(const std::filesystem::path& file, const std::string& key);

}  // namespace collabsim::kernels
