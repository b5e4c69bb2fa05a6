// Online softmax (running max; Milakov & Gimelshein 2018) of a weighted mean of vec2 values, one
// term at a time, so no list of logits is ever stored: after terms (logit_j, value_j),
// m = max_j logit_j, l = sum_j exp(logit_j - m), acc = sum_j exp(logit_j - m) value_j. The
// softmax mean is acc / l and log sum_j exp(logit_j) is m + log(l).
struct Softmax {
  m: f32,
  l: f32,
  acc: vec2f,
}

fn softmax_empty() -> Softmax {
  return Softmax(-3.0e38, 0.0, vec2f(0.0));
}

fn softmax_add(s: Softmax, logit: f32, value: vec2f) -> Softmax {
  if (logit > s.m) {
    let scale = exp(s.m - logit);
    return Softmax(logit, s.l * scale + 1.0, s.acc * scale + value);
  }
  let w = exp(logit - s.m);
  return Softmax(s.m, s.l + w, s.acc + w * value);
}

// The softmax mean sum_j w_j value_j.
fn softmax_mean(s: Softmax) -> vec2f {
  return s.acc / s.l;
}

// log sum_j exp(logit_j).
fn softmax_log_sum(s: Softmax) -> f32 {
  return s.m + log(s.l);
}
