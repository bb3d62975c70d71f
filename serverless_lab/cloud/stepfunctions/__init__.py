"""Step Functions: moto's Amazon States Language interpreter, run in the learner's account.

`execution.py`: what the lab wires into an execution (its calls signed with the state
machine's role in the execution's own account, lab time for Wait and Retry, the trace);
`moto_patch.py`: the moto internals replaced, each exercised by tests/cloud/stepfunctions/.
Left out: Express workflow semantics, activities, Distributed Map, callbacks with task tokens
to outside workers.
"""
