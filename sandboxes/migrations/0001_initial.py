from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Placement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("learner", models.CharField(max_length=64, unique=True)),
                ("shard_url", models.CharField(db_index=True, max_length=200)),
                ("boot_id", models.CharField(blank=True, max_length=32)),
                ("placed_at", models.DateTimeField(auto_now_add=True)),
                ("last_active", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="Deployed",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("learner", models.CharField(db_index=True, max_length=64)),
                ("folder", models.CharField(max_length=500)),
                ("stack", models.CharField(max_length=128)),
                ("at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["at"],
                "constraints": [models.UniqueConstraint(
                    fields=("learner", "stack"), name="deployed_once_per_learner_stack")],
            },
        ),
    ]
