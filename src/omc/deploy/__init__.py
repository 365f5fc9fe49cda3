"""`omc-deploy`: ship a container image to the ECS service and roll back on failure."""
