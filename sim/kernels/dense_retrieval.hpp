#pragma once
/// \file dense_retrieval.hpp
/// On-device dense retrieval (the "preliminary retrieval" of the survey's §4.2
/// Privacy-Sensitive RAG): a sentence encoder embeds the query, an exact nearest-neighbour
/// search over the user's corpus of chunk embeddings returns the k closest chunks. Two
/// parts:
///  - DenseIndex: a real exact maximum-inner-product search (Eigen matrix-vector product of
///    an N×d float32 matrix of L2-normalised embeddings with the normalised query, so
///    inner product = cosine similarity, then a partial sort for the top k), the kernel a
///    flat index such as FAISS's IndexFlatIP runs;
///  - the roofline work (FLOPs, bytes) of both steps, which the simulation charges on the
///    origin device (Context::compute_work_on_origin) instead of running them per request.
///
/// Encoder shape default: sentence-transformers/all-MiniLM-L6-v2 (BERT, config.json on
/// Hugging Face: 6 layers, hidden 384, intermediate 1536, float32, vocab 30,522; its
/// sentence-transformers configuration truncates inputs at 256 word pieces).

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace collabsim::kernels {

/// Roofline counts of one kernel call.
struct KernelWork {
  double flops = 0;  ///< FLOPs (a multiply-add counts 2)
  double bytes = 0;  ///< bytes of memory traffic (weights or matrix read once)
};

/// A BERT-style sentence encoder's shape.
struct EncoderShape {
  int layers = 6;              ///< transformer layers
  int hidden = 384;            ///< hidden size = embedding dimension d
  int ffn = 1536;              ///< feed-forward (intermediate) size
  int max_tokens = 256;        ///< longer inputs are truncated (sentence-transformers max_seq_length)
  double bytes_per_param = 4;  ///< float32 weights
};

/// Work of encoding a query of `tokens` tokens (truncated to shape.max_tokens; ≥ 1):
/// per layer 8·n·h² (Q, K, V, O projections) + 4·n·h·f (two FFN matrices) + 4·n²·h
/// (attention scores and weighted sum), FLOPs; bytes = the layers' weights (4h² + 2hf
/// per layer) × bytes_per_param, read once, plus n embedding rows of h values. Layer
/// norms, GELU and pooling are left out (O(n·h)). Throws std::invalid_argument for
/// tokens < 1 or a non-positive shape.
KernelWork encode_work(const EncoderShape& shape, std::int64_t tokens);

/// Work of an exact search over `chunks` embeddings of `dim` float32 values: 2·N·d FLOPs
/// (the matrix-vector product), 4·N·d + 4·d bytes (the matrix and the query read once).
/// The top-k partial sort (N·log k comparisons) is not counted. Throws
/// std::invalid_argument for chunks < 1 or dim < 1.
KernelWork search_work(std::int64_t chunks, int dim);

/// Exact maximum-inner-product (cosine) search over a fixed corpus of embeddings.
class DenseIndex {
 public:
  /// `embeddings`: N×d, one chunk per row; each row is L2-normalised here (a zero row
  /// stays zero). Throws std::invalid_argument when N or d is 0.
  explicit DenseIndex(Eigen::MatrixXf embeddings);

  std::int64_t size() const { return e_.rows(); }
  int dim() const { return static_cast<int>(e_.cols()); }

  /// Row indices of the min(k, N) chunks with the highest cosine similarity to `query`
  /// (size d; normalised here), best first; ties go to the lower index. Throws
  /// std::invalid_argument when query.size() != d or k < 1.
  std::vector<std::int64_t> search(const Eigen::VectorXf& query, int k) const;

  /// Cosine similarities of every chunk to `query` (size N), the search's scores.
  Eigen::VectorXf scores(const Eigen::VectorXf& query) const;

  /// search_work(size(), dim()).
  KernelWork work() const { return search_work(size(), dim()); }

 private:
  Eigen::MatrixXf e_;
};

}  // namespace collabsim::kernels
