r"""Lazy distributions: modules that build a distribution in their forward pass.

These are the base classes of every generated module. They follow the semantics of
:mod:`zuko.lazy`, so that state dicts load both ways and generated classes can serve
as the base of a zuko flow.
"""

from __future__ import annotations

__all__ = ["LazyDistribution", "UnconditionalDistribution"]

import abc
import torch
import torch.nn as nn

from collections.abc import Callable
from torch import Tensor
from torch.distributions import Distribution
from typing import Any


class LazyDistribution(nn.Module, abc.ABC):
    r"""Abstract lazy distribution.

    A lazy distribution is a module that builds and returns a distribution
    :math:`p(X | c)` within its forward pass, given a context :math:`c`.
    """

    @abc.abstractmethod
    def forward(self, c: Tensor | None = None) -> Distribution:
        r"""
        Arguments:
            c: A context :math:`c`, or :py:`None` for an unconditional distribution.

        Returns:
            A distribution :math:`p(X | c)`.
        """


class UnconditionalDistribution(LazyDistribution):
    r"""Creates an unconditional lazy distribution from a constructor.

    Tensor arguments are registered as buffers or trainable parameters: positional
    ones as ``_0``, ``_1``, ... and keyword ones under their own names, as zuko does,
    so that state dicts load both ways. Other arguments are kept and passed as given.

    Arguments:
        f: A distribution constructor. If `f` is a module, it is registered as a submodule.
        args: The positional arguments passed to `f`.
        buffer: Whether tensor arguments are registered as buffers or parameters.
        kwargs: The keyword arguments passed to `f`.

    Examples:
        >>> from torch.distributions import Normal
        >>> base = UnconditionalDistribution(Normal, torch.zeros(3), torch.ones(3), buffer=True)
        >>> base()
        Normal(loc: torch.Size([3]), scale: torch.Size([3]))
    """

    def __init__(
        self,
        f: Callable[..., Distribution],
        /,
        *args: Any,
        buffer: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()

        self.f = f

        for i, arg in enumerate(args):
            self._register(f"_{i}", arg, buffer)

        for key, arg in kwargs.items():
            self._register(key, arg, buffer)

        self._nargs = len(args)
        self._keys = list(kwargs)

    def _register(self, name: str, arg: Any, buffer: bool) -> None:
        if not torch.is_tensor(arg):
            setattr(self, name, arg)
        elif buffer:
            self.register_buffer(name, arg)
        else:
            self.register_parameter(name, nn.Parameter(arg))

    @property
    def args(self) -> list[Any]:
        r"""The positional arguments passed to `f`."""

        return [getattr(self, f"_{i}") for i in range(self._nargs)]

    @property
    def kwargs(self) -> dict[str, Any]:
        r"""The keyword arguments passed to `f`."""

        return {key: getattr(self, key) for key in self._keys}

    def extra_repr(self) -> str:
        if isinstance(self.f, nn.Module):
            return ""
        return repr(self.forward())

    def forward(self, c: Tensor | None = None) -> Distribution:
        r"""
        Arguments:
            c: A context :math:`c`. This argument is always ignored.

        Returns:
            :py:`f(*args, **kwargs)`.
        """

        return self.f(*self.args, **self.kwargs)
