"""SNS: where the lab changes moto's topics (`moto_patch.py`: the 256 KiB limit counted in
UTF-8 bytes with AWS's message). Topics, subscriptions, filter policies and delivery to SQS and
Lambda are moto's; Lambda subscribers are invoked asynchronously through the lab's runtime.
"""
