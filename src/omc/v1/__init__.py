"""Generated gRPC/protobuf stubs of the omc.v1 API. Do not edit: run scripts/gen-proto."""
