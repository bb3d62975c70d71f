"""The lab cloud: moto's server, one AWS account per learner, the lab's own Lambda runtime,
API Gateway routing, SAM deploys and the trace recorder. Plain Python: no Django here."""
