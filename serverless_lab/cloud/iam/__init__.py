"""IAM for the calls Lambda handlers make: their execution role's identity policies decide
(issue 16). policy.py evaluates statements, actions.py names a request's action and resource,
enforce.py looks up the role and answers a refusal as the service does, moto_patch.py makes
moto keep the managed policies a template attaches."""
