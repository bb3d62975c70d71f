"""The lab's Lambda runtime: execution environments forked from a pre-warmed parent."""
