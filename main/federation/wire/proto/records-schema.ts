// Runs anywhere: our protobuf text for messages and their records (package flwr.proto, Flower 1.29's names and numbers).

/**
 * Written for Tributary from the wire facts of Flower 1.29's recorddict.proto, message.proto, error.proto and
 * transport.proto (only Scalar). Kept as a string so it loads the same from source, from dist/ and inside a
 * packaged app. Field names and numbers are the protocol: never renumber.
 */
export const RECORDS_SCHEMA = `
syntax = "proto3";
package flwr.proto;

// recorddict.proto
message DoubleList { repeated double vals = 1; }
message SintList { repeated sint64 vals = 1; }
message UintList { repeated uint64 vals = 1; }
message BoolList { repeated bool vals = 1; }
message StringList { repeated string vals = 1; }
message BytesList { repeated bytes vals = 1; }

message Array {
  string dtype = 1;
  repeated int32 shape = 2;
  string stype = 3;
  bytes data = 4;
}

message MetricRecordValue {
  oneof value {
    double double = 1;
    sint64 sint64 = 2;
    uint64 uint64 = 3;
    DoubleList double_list = 21;
    SintList sint_list = 22;
    UintList uint_list = 23;
  }
}

message ConfigRecordValue {
  oneof value {
    double double = 1;
    sint64 sint64 = 2;
    uint64 uint64 = 3;
    bool bool = 4;
    string string = 5;
    bytes bytes = 6;
    DoubleList double_list = 21;
    SintList sint_list = 22;
    UintList uint_list = 23;
    BoolList bool_list = 24;
    StringList string_list = 25;
    BytesList bytes_list = 26;
  }
}

message ArrayRecord {
  message Item {
    string key = 1;
    Array value = 2;
  }
  repeated Item items = 1;
}

message MetricRecord {
  message Item {
    string key = 1;
    MetricRecordValue value = 2;
  }
  repeated Item items = 1;
}

message ConfigRecord {
  message Item {
    string key = 1;
    ConfigRecordValue value = 2;
  }
  repeated Item items = 1;
}

message RecordDict {
  message Item {
    string key = 1;
    oneof value {
      ArrayRecord array_record = 2;
      MetricRecord metric_record = 3;
      ConfigRecord config_record = 4;
    }
  }
  repeated Item items = 1;
}

// error.proto
message Error {
  sint64 code = 1;
  string reason = 2;
}

// message.proto (the message itself and its object tree)
message Message {
  Metadata metadata = 1;
  RecordDict content = 2;
  Error error = 3;
}

message Metadata {
  uint64 run_id = 1;
  string message_id = 2;
  uint64 src_node_id = 3;
  uint64 dst_node_id = 4;
  string reply_to_message_id = 5;
  string group_id = 6;
  double ttl = 7;
  string message_type = 8;
  double created_at = 9;
}

message ObjectTree {
  string object_id = 1;
  repeated ObjectTree children = 2;
}

// transport.proto (Scalar only: Run.override_config uses it)
message Scalar {
  oneof scalar {
    double double = 1;
    uint64 uint64 = 6;
    sint64 sint64 = 8;
    bool bool = 13;
    string string = 14;
    bytes bytes = 15;
  }
}
`;
