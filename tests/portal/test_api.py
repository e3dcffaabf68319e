"""portal.api.Serializer builds its fields from shallow copies: each instance still gets fields
of its own, bound to it, and nested serializers still reach the root's context."""

from __future__ import annotations

from rest_framework import serializers

from portal.api import Serializer


class Child(Serializer):
    name = serializers.CharField(max_length=5)
    greeting = serializers.SerializerMethodField()

    def get_greeting(self, row) -> str:
        return f"{self.context['salutation']} {row['name']}"


class Parent(Serializer):
    title = serializers.CharField(max_length=5)
    children = Child(many=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


def test_each_instance_has_its_own_bound_fields():
    first, second = Parent(), Parent()

    assert first.fields["title"] is not second.fields["title"]
    assert first.fields["title"].parent is first
    assert second.fields["title"].parent is second
    assert first.fields["children"] is not second.fields["children"]
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.root is first
    assert Parent._declared_fields["title"].parent is None  # the prototype stays unbound


def test_nested_serializers_see_the_context_of_their_own_root():
    rows = {"title": "Case", "children": [{"name": "Ada"}]}

    hello = Parent(rows, context={"salutation": "Hello"}).data
    dear = Parent(rows, context={"salutation": "Dear"}).data

    assert hello["children"] == [{"name": "Ada", "greeting": "Hello Ada"}]
    assert dear["children"] == [{"name": "Ada", "greeting": "Dear Ada"}]


def test_validation_is_unchanged():
    bad = Parent(data={"title": "Too long", "children": [{"name": "Far too long"}]})
    good = Parent(data={"title": "Case", "children": [{"name": "Ada"}]})

    assert not bad.is_valid()
    assert set(bad.errors) == {"title", "children"}
    assert bad.errors["children"][0]["name"]
    assert good.is_valid(), good.errors
    assert good.validated_data == {"title": "Case", "children": [{"name": "Ada"}]}


def test_a_leaf_field_is_copied_as_copy_copy_would_copy_it():
    """The shallow copy skips copy's reduce protocol (issue 24): the same class and attributes."""
    import copy

    from tickets.api.common import TicketDetailOutput

    for name, prototype in TicketDetailOutput._declared_fields.items():
        if isinstance(prototype, serializers.BaseSerializer):
            continue
        made = TicketDetailOutput().fields[name]
        expected = copy.copy(prototype)
        expected.bind(name, made.parent)
        assert type(made) is type(prototype), name
        assert made is not prototype
        assert vars(made) == vars(expected), name


def test_a_many_field_is_copied_as_deepcopy_would_make_it():
    """A `many=True` field is copied without building the list and its child again (issue 24):
    the same classes and attributes as DRF's deepcopy, the child bound to the copy, and nothing
    shared with another instance's copy but the prototype's settings."""
    import copy

    from tickets.api.common import TicketDetailOutput

    prototype = TicketDetailOutput._declared_fields["attachments"]
    first, second = TicketDetailOutput(), TicketDetailOutput()
    made = first.fields["attachments"]
    expected = copy.deepcopy(prototype)
    expected.bind("attachments", first)

    # Not compared: the child and parent (checked below), the arguments deepcopy keeps of its own
    # copy, and the declaration order counter DRF draws anew for each field it builds.
    ignored = {"child", "parent", "_kwargs", "_creation_counter"}

    def settings(field) -> dict:
        return {name: value for name, value in vars(field).items() if name not in ignored}

    assert type(made) is type(expected) and type(made.child) is type(expected.child)
    assert settings(made) == settings(expected)
    assert settings(made.child) == settings(expected.child)
    assert made.parent is first and made.child.parent is made and made.child.root is first
    assert made.child is not prototype.child and made.child is not second.fields["attachments"].child
    assert "fields" not in vars(made.child)  # made when first read, bound to this copy
    assert made.child.fields["url"].parent is made.child
    assert prototype.child.parent is prototype  # the prototype stays as declared


def test_a_leaf_fields_binding_is_made_once_per_class():
    """Each instance's leaf fields are copies of the class's bound ones with their own parent."""
    first, second = Parent(), Parent()

    assert vars(first.fields["title"]) == {**vars(second.fields["title"]), "parent": first}
    assert first.fields["title"].source_attrs == ["title"] and first.fields["title"].label == "Title"
    assert Child().fields["greeting"].method_name == "get_greeting"


class Note(Serializer):
    # Its own class: the first message a prototype's validator words is the one under test.
    text = serializers.CharField(max_length=5)
    count = serializers.IntegerField(max_value=3)


def test_a_length_or_value_message_is_worded_in_each_readers_language():
    """The copies share their prototype's validators, whose DRF messages (lazy_format) keep their
    first wording: after one Russian reader, every reader was told in Russian."""
    from django.utils import translation

    def errors(language: str) -> dict:
        with translation.override(language):
            note = Note(data={"text": "far too long", "count": 9})
            assert not note.is_valid()
            return {name: str(messages[0]) for name, messages in note.errors.items()}

    russian = errors("ru")
    assert russian["text"] != "Ensure this field has no more than 5 characters."
    assert errors("en") == {
        "text": "Ensure this field has no more than 5 characters.",
        "count": "Ensure this value is less than or equal to 3.",
    }
    assert errors("ru") == russian
