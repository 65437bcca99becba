"""Message templates marked for before or after verification, and the operational terms
that must not reach an applicant before verification (issue 8)."""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# A few reviewed texts to start from, in the fund's three languages. "before" texts say
# nothing of payment rails, routes, staff or other cases; "after" texts are sent only on
# verified cases. Coordinators edit or replace them at /staff/templates/.
SEED = [
    (
        "before",
        "en",
        "We received your application",
        "We received your application. A volunteer will read it and may ask you questions "
        "here. Keep your case code and passphrase safe and tell no one that you applied.",
    ),
    (
        "before",
        "be",
        "Мы атрымалі вашу заяву",
        "Мы атрымалі вашу заяву. Валанцёр прачытае яе і можа задаць вам пытанні тут. "
        "Захоўвайце код справы і пароль у бяспецы і нікому не кажыце, што вы звярнуліся.",
    ),
    (
        "before",
        "ru",
        "Мы получили вашу заявку",
        "Мы получили вашу заявку. Волонтёр прочитает её и может задать вам вопросы здесь. "
        "Храните код дела и пароль в безопасности и никому не говорите, что вы обратились.",
    ),
    (
        "before",
        "en",
        "Please upload a document",
        "To verify your application we need one more document. Please upload it on your "
        "status page. Cover or remove anything not needed to confirm your service or "
        "dismissal; the file is encrypted before it is stored.",
    ),
    (
        "before",
        "be",
        "Калі ласка, загрузіце дакумент",
        "Каб праверыць вашу заяву, нам патрэбны яшчэ адзін дакумент. Калі ласка, загрузіце "
        "яго на старонцы статусу. Закрыйце ці выдаліце ўсё, што не патрэбна для "
        "пацвярджэння службы ці звальнення; файл шыфруецца перад захаваннем.",
    ),
    (
        "before",
        "ru",
        "Пожалуйста, загрузите документ",
        "Чтобы проверить вашу заявку, нам нужен ещё один документ. Пожалуйста, загрузите "
        "его на странице статуса. Закройте или удалите всё, что не нужно для подтверждения "
        "службы или увольнения; файл шифруется перед сохранением.",
    ),
    (
        "after",
        "en",
        "Your case is verified: next steps for payment",
        "Your case is verified. Next we agree on the support you receive and how it is paid. "
        "A treasurer will write to you here about the payment details we need; never send "
        "them anywhere else, and never to someone who contacts you first.",
    ),
    (
        "after",
        "be",
        "Вашу справу праверана: далейшыя крокі да выплаты",
        "Вашу справу праверана. Далей мы ўзгоднім, якую падтрымку вы атрымаеце і як яна "
        "будзе выплачана. Скарбнік напіша вам тут, якія плацежныя рэквізіты патрэбны; "
        "ніколі не дасылайце іх іншым шляхам і таму, хто звяртаецца да вас першы.",
    ),
    (
        "after",
        "ru",
        "Ваше дело проверено: дальнейшие шаги к выплате",
        "Ваше дело проверено. Дальше мы согласуем, какую поддержку вы получите и как она "
        "будет выплачена. Казначей напишет вам здесь, какие платёжные реквизиты нужны; "
        "никогда не отправляйте их другим путём и тому, кто обращается к вам первым.",
    ),
]


def seed_templates(apps, schema_editor):
    template = apps.get_model("cases", "MessageTemplate")
    template.objects.bulk_create(
        template(stage=stage, language=language, title=title, body=body)
        for stage, language, title, body in SEED
    )


def unseed_templates(apps, schema_editor):
    template = apps.get_model("cases", "MessageTemplate")
    for stage, language, title, _body in SEED:
        template.objects.filter(stage=stage, language=language, title=title).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_queue_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MessageTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=120, verbose_name='title')),
                ('body', models.TextField(max_length=5000, verbose_name='text')),
                ('language', models.CharField(choices=[('be', 'Belarusian'), ('ru', 'Russian'), ('en', 'English')], max_length=8, verbose_name='language')),
                ('stage', models.CharField(choices=[('before', 'Before verification'), ('after', 'After verification')], max_length=8, verbose_name='stage')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
            ],
            options={
                'ordering': ['stage', 'language', 'title', 'id'],
            },
        ),
        migrations.CreateModel(
            name='TermDigestKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest_key', models.BinaryField(max_length=32)),
            ],
        ),
        migrations.CreateModel(
            name='OperationalTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('payment_rail', 'Payment rail'), ('route', 'Route or meeting place'), ('staff_name', 'Name of a staff member'), ('other', 'Other operational detail')], max_length=16, verbose_name='kind')),
                ('term_digest', models.BinaryField(max_length=32, unique=True)),
                ('words', models.PositiveSmallIntegerField()),
                ('prefix', models.BooleanField(default=True, verbose_name='also match words that begin with it')),
                ('active', models.BooleanField(default=True)),
                ('added_on', models.DateField()),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-active', 'kind', 'id'],
            },
        ),
        migrations.RunPython(seed_templates, unseed_templates),
    ]
