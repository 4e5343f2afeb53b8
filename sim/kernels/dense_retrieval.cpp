/// \file dense_retrieval.cpp
/// Dense retrieval kernel and its roofline counts (dense_retrieval.hpp).

#include "sim/kernels/dense_retrieval.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace collabsim::kernels {

KernelWork encode_work(const EncoderShape& s, std::int64_t tokens) {
  if (tokens < 1) throw std::invalid_argument("encode_work: tokens must be >= 1");
  if (s.layers < 1 || s.hidden < 1 || s.ffn < 1 || s.max_tokens < 1 || !(s.bytes_per_param > 0))
    throw std::invalid_argument("encode_work: encoder shape must be positive");
  const double n = static_cast<double>(std::min<std::int64_t>(tokens, s.max_tokens));
  const double h = s.hidden, f = s.ffn, l = s.layers;
  KernelWork w;
  w.flops = l * (8 * n * h * h + 4 * n * h * f + 4 * n * n * h);
  w.bytes = (l * (4 * h * h + 2 * h * f) + n * h) * s.bytes_per_param;
  return w;
}

KernelWork search_work(std::int64_t chunks, int dim) {
  if (chunks < 1 || dim < 1) throw std::invalid_argument("search_work: chunks and dim must be >= 1");
  const double n = static_cast<double>(chunks), d = dim;
  return {2 * n * d, 4 * n * d + 4 * d};
}

DenseIndex::DenseIndex(Eigen::MatrixXf embeddings) : e_(std::move(embeddings)) {
  if (e_.rows() == 0 || e_.cols() == 0) throw std::invalid_argument("DenseIndex: empty embedding matrix");
  for (Eigen::Index i = 0; i < e_.rows(); ++i) {
    const float norm = e_.row(i).norm();
    if (norm > 0) e_.row(i) /= norm;
  }
}

Eigen::VectorXf DenseIndex::scores(const Eigen::VectorXf& query) const {
  if (query.size() != e_.cols()) throw std::invalid_argument("DenseIndex: query dimension differs from the index's");
  const float norm = query.norm();
  Eigen::VectorXf s = e_ * query;  // GEMV: 2·N·d FLOPs, the matrix read once
  if (norm > 0) s /= norm;
  return s;
}

std::vector<std::int64_t> DenseIndex::search(const Eigen::VectorXf& query, int k) const {
  if (k < 1) throw std::invalid_argument("DenseIndex: k must be >= 1");
  const Eigen::VectorXf s = scores(query);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(s.size()));
  std::iota(idx.begin(), idx.end(), 0);
  const auto top = std::min<std::size_t>(static_cast<std::size_t>(k), idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(top), idx.end(),
                    [&](std::int64_t a, std::int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
  idx.resize(top);
  return idx;
}

}  // namespace collabsim::kernels
