// The workgroup size a kernel is compiled with (createKernel's workgroupSize, src/gpu/kernel.ts).
override WORKGROUP_SIZE: u32 = 64u;
