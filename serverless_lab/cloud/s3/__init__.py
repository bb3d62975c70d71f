"""S3: where the lab changes moto's buckets (`moto_patch.py`: event notifications carry the
key URL-encoded as S3 writes it, "/" kept). Buckets, objects and notifications are moto's.
"""
