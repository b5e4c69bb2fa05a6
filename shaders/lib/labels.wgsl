// Class labels of the stored points and mixture components (src/maths/datasets.ts, `labels`): a
// class-conditional denoiser keeps the terms of one class; ALL_LABELS keeps every term (the
// unconditional denoiser).
const ALL_LABELS: u32 = 0xffffffffu;

// Whether a term of class `label` belongs to the softmax of class `wanted`.
fn keeps(wanted: u32, label: u32) -> bool {
  return wanted == ALL_LABELS || label == wanted;
}
