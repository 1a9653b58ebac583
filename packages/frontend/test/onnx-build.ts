import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AT,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';

// Builders for small ONNX models in unit tests (onnx-buf create/toBinary).

export { DT };

export function tensor(name: string, dataType: DT, dims: number[], values: number[]): TensorProto {
  const t = create(TensorProtoSchema, { name, dataType, dims: dims.map(BigInt) });
  if (dataType === DT.FLOAT) t.floatData = values;
  else if (dataType === DT.INT64) t.int64Data = values.map(BigInt);
  else t.int32Data = values;
  return t;
}

/** dims: a number, a symbolic name, or undefined (unknown); `shape` undefined = no shape at all. */
export function value(name: string, elemType: DT, shape?: (number | string | undefined)[]): ValueInfoProto {
  const dim = shape?.map((d) =>
    create(TensorShapeProto_DimensionSchema, {
      value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : typeof d === 'string' ? { case: 'dimParam', value: d } : { case: undefined },
    }),
  );
  const tt = create(TypeProto_TensorSchema, { elemType, shape: dim ? create(TensorShapeProtoSchema, { dim }) : undefined });
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tt } }) });
}

export const attr = {
  int: (name: string, i: number) => create(AttributeProtoSchema, { name, type: AT.INT, i: BigInt(i) }),
  ints: (name: string, v: number[]) => create(AttributeProtoSchema, { name, type: AT.INTS, ints: v.map(BigInt) }),
  float: (name: string, f: number) => create(AttributeProtoSchema, { name, type: AT.FLOAT, f }),
  string: (name: string, s: string) => create(AttributeProtoSchema, { name, type: AT.STRING, s: new Uint8Array(new TextEncoder().encode(s)) }),
  tensor: (name: string, t: TensorProto) => create(AttributeProtoSchema, { name, type: AT.TENSOR, t }),
};

export function node(opType: string, input: string[], output: string[], attribute: AttributeProto[] = [], name = '', domain = ''): NodeProto {
  return create(NodeProtoSchema, { opType, input, output, attribute, name, domain });
}

export interface ModelSpec {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  opset?: number;
  irVersion?: number;
}

export function model(spec: ModelSpec): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: 'test',
    node: spec.nodes,
    input: spec.inputs,
    output: spec.outputs,
    initializer: spec.initializers ?? [],
  });
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: BigInt(spec.irVersion ?? 8),
      producerName: 'qtool-test',
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(spec.opset ?? 13) })],
      graph,
    }),
  );
}
