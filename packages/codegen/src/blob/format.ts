// Body format 2 of the model image (docs/protocol.md, "Layer table body"): the numbers both sides agree on.
// firmware/c/fw_blob.c holds the same table (its test compares them).

export const LAYER_TABLE_MAGIC = 0x544c5451; // 'QTLT' read as a little-endian u32
export const LAYER_TABLE_VERSION = 1;
export const BODY_HEADER_BYTES = 64;
export const LAYER_ENTRY_BYTES = 16;
export const CALL_ENTRY_BYTES = 52;
/** a reference: u8 kind, 3 bytes 0, u32 value, u32 bytes (the extent a kernel may touch from there) */
export const REF_BYTES = 12;
export const MAX_ARGS = 4;
/** every record and array in the data area starts at a multiple of this (body offset; the body is 16-aligned) */
export const DATA_ALIGN = 16;

/** What a call argument or a layer's output refers to. */
export const RefKind = {
  INT: 0, // the value itself (an int32 argument, e.g. qt_copy_s8's size)
  NULL: 1,
  BODY: 2, // body offset: a params record or constant data
  ARENA: 3, // byte offset in the model's arena
  INPUT: 4, // model input index (the INPUT buffer, inputs concatenated)
  OUTPUT: 5, // model output index
  SCRATCH: 6, // byte offset in the kernel scratch
} as const;

/**
 * The portable kernels a model image may call, by id: the C function, the params struct its first argument
 * points to (none for qt_copy_s8), and its argument count. Ids are part of the format: append, never renumber.
 */
export const BLOB_KERNELS: { id: number; fn: string; params: string | null; args: number }[] = [
  { id: 1, fn: 'qt_conv_s8', params: 'qt_conv_params_t', args: 3 },
  { id: 2, fn: 'qt_fc_s8', params: 'qt_fc_params_t', args: 3 },
  { id: 3, fn: 'qt_matmul_s8', params: 'qt_matmul_params_t', args: 4 },
  { id: 4, fn: 'qt_add_s8', params: 'qt_add_params_t', args: 4 },
  { id: 5, fn: 'qt_sub_s8', params: 'qt_add_params_t', args: 4 },
  { id: 6, fn: 'qt_mul_s8', params: 'qt_mul_params_t', args: 4 },
  { id: 7, fn: 'qt_lut_s8', params: 'qt_lut_params_t', args: 3 },
  { id: 8, fn: 'qt_max_pool_s8', params: 'qt_pool_params_t', args: 3 },
  { id: 9, fn: 'qt_avg_pool_s8', params: 'qt_pool_params_t', args: 3 },
  { id: 10, fn: 'qt_mean_s8', params: 'qt_mean_params_t', args: 3 },
  { id: 11, fn: 'qt_softmax_s8', params: 'qt_softmax_params_t', args: 3 },
  { id: 12, fn: 'qt_softmax_tfl_s8', params: 'qt_softmax_tfl_params_t', args: 3 },
  { id: 13, fn: 'qt_copy_s8', params: null, args: 3 },
  { id: 14, fn: 'qt_requant_s8', params: 'qt_requant_params_t', args: 4 },
  { id: 15, fn: 'qt_transpose_s8', params: 'qt_transpose_params_t', args: 3 },
  { id: 16, fn: 'qt_concat_s8', params: 'qt_concat_params_t', args: 3 },
  { id: 17, fn: 'qt_pad_s8', params: 'qt_pad_params_t', args: 3 },
];
