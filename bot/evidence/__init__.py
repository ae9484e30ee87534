"""Evidence and scene: photos checked, stored, screened; the scene located.

Pure rules: exif, phash, imaging, checklist, fraud, geo. Use cases: intake (in the photo
transaction), storing (the download worker's steps), scene, card (section and buttons).
"""
