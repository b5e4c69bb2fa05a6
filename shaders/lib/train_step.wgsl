// One optimiser step of a training run as the CPU wrote it into the trainer's table
// (src/sim/learn/trainTable.ts), bound with a dynamic offset so that one submission holds many
// steps: the step number t >= 1 (Adam's and the batch's RNG counter), the learning rate, AdamW's
// decay 1 - lr wd and bias corrections from float64, and whether the batch is the evaluation's
// (levels stratified over the batch instead of drawn).
struct TrainStep {
  step: u32,
  lr: f32,
  decay: f32,
  correction1: f32,
  correction2: f32,
  stratified: u32,
}
