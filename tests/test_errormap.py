"""genicam / GenTL exceptions become ace_gentl errors in one place, with the cause kept."""

from __future__ import annotations

import pytest
from genicam import genapi, gentl

import ace_gentl
from ace_gentl.errormap import acquisition_errors, feature_errors, genicam_reason, gentl_errors
from ace_gentl.errors import (
    AcquisitionError,
    AcquisitionTimeout,
    DeviceBusyError,
    DeviceError,
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
)

GENICAM_TEXT = ("Node is not writable. : AccessException thrown in node 'Width' while calling "
                "'Width.SetValue()' (file 'IntegerT.h', line 74)")


def test_reason_drops_the_source_location() -> None:
    assert genicam_reason(genapi.AccessException(GENICAM_TEXT)) == "Node is not writable."


@pytest.mark.parametrize("raised,expected", [
    (genapi.AccessException(GENICAM_TEXT), FeatureAccessError),
    (genapi.OutOfRangeException("too big"), FeatureValueError),
    (genapi.InvalidArgumentException("not an entry"), FeatureValueError),
    (genapi.DynamicCastException("not an IInteger"), FeatureTypeError),
    (genapi.LogicalErrorException("odd"), FeatureError),
])
def test_feature_errors(raised: Exception, expected: type) -> None:
    with pytest.raises(expected) as info:
        with feature_errors("Width"):
            raise raised
    assert info.value.__cause__ is raised
    assert str(info.value).startswith("Width: ")
    assert isinstance(info.value, ace_gentl.AceGentlError)


@pytest.mark.parametrize("raised,expected", [
    (gentl.TimeoutException("t"), AcquisitionTimeout),
    (gentl.AccessDeniedException("a"), DeviceBusyError),
    (gentl.ResourceInUseException("r"), DeviceBusyError),
    (gentl.IoException("io"), DeviceError),
])
def test_gentl_errors(raised: Exception, expected: type) -> None:
    with pytest.raises(expected) as info:
        with gentl_errors("opening"):
            raise raised
    assert info.value.__cause__ is raised and str(info.value).startswith("opening: ")


def test_acquisition_errors_default_to_acquisition_error() -> None:
    with pytest.raises(AcquisitionError) as info:
        with acquisition_errors("starting"):
            raise gentl.IoException("io")
    assert type(info.value) is AcquisitionError
    with pytest.raises(AcquisitionTimeout):
        with acquisition_errors("waiting"):
            raise gentl.TimeoutException("t")


def test_other_exceptions_pass_untouched() -> None:
    with pytest.raises(ZeroDivisionError):
        with gentl_errors("x"):
            1 / 0  # noqa: B018
