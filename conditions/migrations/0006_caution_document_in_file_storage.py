"""The caution's document column goes (its documents are now files, migration 0005) and the file
field takes its name."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0005_caution_documents_to_files"),
    ]

    operations = [
        migrations.RemoveField(model_name="caution", name="document"),
        migrations.RenameField(model_name="caution", old_name="document_file", new_name="document"),
    ]
