"""Stand-ins for dbt's cross-database macros when SQLFluff renders models on its own."""


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def type_string() -> str:
    return "varchar"


def split_part(string_text: str, delimiter_text: str, part_number: int) -> str:
    return f"split_part({string_text}, {delimiter_text}, {part_number})"
