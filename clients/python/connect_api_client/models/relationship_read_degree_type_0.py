from typing import Literal

RelationshipReadDegreeType0 = Literal[1, 2, 3]

RELATIONSHIP_READ_DEGREE_TYPE_0_VALUES: set[RelationshipReadDegreeType0] = {
    1,
    2,
    3,
}


def check_relationship_read_degree_type_0(value: int) -> RelationshipReadDegreeType0:
    if value in RELATIONSHIP_READ_DEGREE_TYPE_0_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {RELATIONSHIP_READ_DEGREE_TYPE_0_VALUES!r}"
    )
