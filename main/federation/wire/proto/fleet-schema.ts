// Runs anywhere: our protobuf text for the Fleet service and its requests (package flwr.proto, Flower 1.29's names and numbers).

/**
 * Written for Tributary from the wire facts of Flower 1.29's fleet.proto, message.proto (the object RPCs),
 * heartbeat.proto, node.proto, run.proto and fab.proto. Message, ObjectTree and Scalar come from RECORDS_SCHEMA,
 * parsed into the same root.
 */
export const FLEET_SCHEMA = `
syntax = "proto3";
package flwr.proto;

service Fleet {
  rpc RegisterNode(RegisterNodeFleetRequest) returns (RegisterNodeFleetResponse) {}
  rpc ActivateNode(ActivateNodeRequest) returns (ActivateNodeResponse) {}
  rpc DeactivateNode(DeactivateNodeRequest) returns (DeactivateNodeResponse) {}
  rpc UnregisterNode(UnregisterNodeFleetRequest) returns (UnregisterNodeFleetResponse) {}
  rpc SendNodeHeartbeat(SendNodeHeartbeatRequest) returns (SendNodeHeartbeatResponse) {}
  rpc PullMessages(PullMessagesRequest) returns (PullMessagesResponse) {}
  rpc PushMessages(PushMessagesRequest) returns (PushMessagesResponse) {}
  rpc GetRun(GetRunRequest) returns (GetRunResponse) {}
  rpc GetFab(GetFabRequest) returns (GetFabResponse) {}
  rpc PushObject(PushObjectRequest) returns (PushObjectResponse) {}
  rpc PullObject(PullObjectRequest) returns (PullObjectResponse) {}
  rpc ConfirmMessageReceived(ConfirmMessageReceivedRequest) returns (ConfirmMessageReceivedResponse) {}
}

// node.proto
message Node { uint64 node_id = 1; }

// fleet.proto
message RegisterNodeFleetRequest { bytes public_key = 1; }
message RegisterNodeFleetResponse { uint64 node_id = 1; }
message ActivateNodeRequest {
  bytes public_key = 1;
  double heartbeat_interval = 2;
}
message ActivateNodeResponse { uint64 node_id = 1; }
message DeactivateNodeRequest { uint64 node_id = 1; }
message DeactivateNodeResponse {}
message UnregisterNodeFleetRequest { uint64 node_id = 1; }
message UnregisterNodeFleetResponse {}
message PullMessagesRequest {
  Node node = 1;
  repeated string message_ids = 2;
}
message PullMessagesResponse {
  Reconnect reconnect = 1;
  repeated Message messages_list = 2;
  repeated ObjectTree message_object_trees = 3;
}
message PushMessagesRequest {
  Node node = 1;
  repeated Message messages_list = 2;
  repeated ObjectTree message_object_trees = 3;
  repeated double clientapp_runtime_list = 4;
}
message PushMessagesResponse {
  Reconnect reconnect = 1;
  map<string, uint32> results = 2;
  repeated string objects_to_push = 3;
}
message Reconnect { uint64 reconnect = 1; }

// heartbeat.proto
message SendNodeHeartbeatRequest {
  Node node = 1;
  double heartbeat_interval = 2;
}
message SendNodeHeartbeatResponse { bool success = 1; }

// message.proto (objects)
message PushObjectRequest {
  Node node = 1;
  uint64 run_id = 2;
  string object_id = 3;
  bytes object_content = 4;
}
message PushObjectResponse { bool stored = 1; }
message PullObjectRequest {
  Node node = 1;
  uint64 run_id = 2;
  string object_id = 3;
}
message PullObjectResponse {
  bool object_found = 1;
  bool object_available = 2;
  bytes object_content = 3;
}
message ConfirmMessageReceivedRequest {
  Node node = 1;
  uint64 run_id = 2;
  string message_object_id = 3;
}
message ConfirmMessageReceivedResponse {}

// run.proto
message Run {
  uint64 run_id = 1;
  string fab_id = 2;
  string fab_version = 3;
  map<string, Scalar> override_config = 4;
  string fab_hash = 5;
  string pending_at = 6;
  string starting_at = 7;
  string running_at = 8;
  string finished_at = 9;
  RunStatus status = 10;
  string flwr_aid = 11;
  string federation = 12;
  uint64 bytes_sent = 13;
  uint64 bytes_recv = 14;
  double clientapp_runtime = 15;
  string run_type = 16;
}
message RunStatus {
  string status = 1;
  string sub_status = 2;
  string details = 3;
}
message GetRunRequest {
  Node node = 1;
  uint64 run_id = 2;
}
message GetRunResponse { Run run = 1; }

// fab.proto
message Fab {
  string hash_str = 1;
  bytes content = 2;
  map<string, string> verifications = 3;
}
message GetFabRequest {
  Node node = 1;
  string hash_str = 2;
  uint64 run_id = 3;
}
message GetFabResponse { Fab fab = 1; }
`;
