"""The local mode and the command line: moto as AWS, the local stack, serve, demo, cost estimate.

Not shipped in the Lambda layer.
"""
