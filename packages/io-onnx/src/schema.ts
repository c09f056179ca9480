import protobuf from "protobufjs";

/**
 * The parts of the ONNX schema (onnx/onnx.proto, IR version 10; field numbers are the
 * standard's) that quantforge decodes or encodes. The model itself is never round-tripped
 * through these messages: `read.ts` walks ModelProto and GraphProto on the wire and keeps every
 * other byte as it is, so fields missing here (attributes, subgraphs, training info, …) survive
 * unchanged. Only initializers that quantforge replaces and the DequantizeLinear nodes it adds
 * are encoded with these types.
 */
const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message TensorProto {
  message Segment {
    optional int64 begin = 1;
    optional int64 end = 2;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  repeated int64 ints = 8;
  optional int32 type = 20;
}

// NodeProto without attributes' subgraphs: decoding skips what it does not know.
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}

message TensorShapeProto {
  message Dimension {
    optional int64 dim_value = 1;
    optional string dim_param = 2;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  optional Tensor tensor_type = 1;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

let root: protobuf.Root | undefined;

/** The parsed schema (built on first use). */
export function onnxTypes(): {
  TensorProto: protobuf.Type;
  NodeProto: protobuf.Type;
  ValueInfoProto: protobuf.Type;
  OperatorSetIdProto: protobuf.Type;
} {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return {
    TensorProto: root.lookupType("onnx.TensorProto"),
    NodeProto: root.lookupType("onnx.NodeProto"),
    ValueInfoProto: root.lookupType("onnx.ValueInfoProto"),
    OperatorSetIdProto: root.lookupType("onnx.OperatorSetIdProto"),
  };
}

/** ONNX `TensorProto.DataType` values quantforge names. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** Bytes per element of fixed-width ONNX data types (undefined for strings and unknown types). */
export const ONNX_ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
};

/** A protobuf int64 as decoded by protobufjs (a Long or a number) → a safe number, or NaN. */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (v && typeof v === "object" && typeof (v as { toNumber?: unknown }).toNumber === "function") {
    const l = v as { toNumber(): number; high: number };
    const n = l.toNumber();
    return Number.isSafeInteger(n) ? n : NaN;
  }
  return NaN;
}
