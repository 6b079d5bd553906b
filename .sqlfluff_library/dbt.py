"""Stand-ins for dbt's cross-database macros when SQLFluff renders models on its own."""


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def type_string() -> str:
    return "varchar"


def split_part(string_text: str, delimiter_text: str, part_number: int) -> str:
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def current_timestamp() -> str:
    return "now()"
