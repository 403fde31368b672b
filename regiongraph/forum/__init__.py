"""The alliance's forum: threads, replies and endorsements on any resource of the region.

Every post is a W3C Web Annotation (`oa:Annotation`) in the `forum` graph: its target is the
resource discussed (a project, dataset, strategy, request, standard, community) or, for a
reply, the post it answers; its body is the text; its motivation says what kind of post it
is (commenting, questioning, replying, assessing for an endorsement, moderating for a
steward's hiding of a post). Using the open model means other tools read the forum with
any Web Annotation client (`api/routes/annotations.py` serves the protocol).

Who may read a post is decided in `audience.py`, on top of who may see its target.
"""
