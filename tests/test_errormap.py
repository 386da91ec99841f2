"""genicam / GenTL exceptions become ace_gentl errors in one place, with the cause kept."""

from __future__ import annotations

import re

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


def test_formula_failures_say_which_formula() -> None:
    raised = genapi.LogicalErrorException(
        "Ratio : Failed to evaluate formula '1/D' : error message is '#Infinity somewhere!' : LogicalErrorException "
        "thrown in node 'Ratio' while calling 'Ratio.GetValue()' (file 'SwissKnife.cpp', line 189)")
    with pytest.raises(FeatureError) as info:
        with feature_errors("Ratio"):
            raise raised
    assert str(info.value) == ("Ratio: the formula '1/D' of Ratio cannot be evaluated now (#Infinity somewhere!: a "
                               "division by zero or an overflow in the current state)")


@pytest.mark.parametrize("raised,expected,text", [
    (UnicodeDecodeError("utf-8", b"ab\xb5", 2, 3, "invalid start byte"),
     FeatureError, "holds bytes that are not UTF-8 (b'ab\\xb5')"),
    (TypeError("Wrong number or type of arguments for overloaded function"), FeatureTypeError, "Wrong number"),
    (OverflowError("in method 'IInteger_set', argument 2 of type 'int64_t'"), FeatureValueError, "int64_t"),
    (AttributeError("'NoneType' object has no attribute 'symbolic'"), FeatureError, "symbolic"),
])
def test_python_errors_of_genicams_swig_layer_are_feature_errors(raised: Exception, expected: type,
                                                                 text: str) -> None:
    with pytest.raises(expected, match=re.escape(text)) as info:
        with feature_errors("Width"):
            raise raised
    assert info.value.__cause__ is raised and isinstance(info.value, ace_gentl.AceGentlError)
