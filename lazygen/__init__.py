r"""lazygen: conditional distributions as PyTorch modules, generated from YAML specs.

A spec names a :mod:`torch.distributions` family and says where each of its
arguments comes from (a network of the context, a trainable parameter, a fixed
buffer or a constant). ``lazygen build`` renders it into a readable
:class:`lazygen.lazy.LazyDistribution` subclass and a pytest file that tests it.
"""

__all__ = ["__version__", "load"]

__version__ = "0.1.0"


def load(path, name: str | None = None) -> type:
    r"""Returns the class generated from a spec file, without writing any file.

    Arguments:
        path: A spec file (YAML).
        name: The class name of the spec to pick, when the file holds several.

    Returns:
        The generated :class:`lazygen.lazy.LazyDistribution` subclass.

    Raises:
        lazygen.errors.SpecError: When the spec is invalid.

    Examples:
        >>> ConditionalNormal = lazygen.load("specs/conditional_normal.yaml")
        >>> ConditionalNormal()(torch.randn(5)).sample().shape
        torch.Size([3])
    """

    from .api import load as _load

    return _load(path, name)
