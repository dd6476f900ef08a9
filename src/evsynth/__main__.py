"""Allow ``python -m evsynth``."""

from evsynth.cli import main

if __name__ == "__main__":
    main()
