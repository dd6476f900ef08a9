"""The reviewer's desk: screening in a browser (``evsynth desk``)."""
